/**
 * Spawns SDK fixtures the way drover's supervisor does (stdio [pipe, pipe, pipe, pipe] and
 * DROVER_PROTOCOL_FD=3) or the way a user pipes by hand (no fd 3), and collects what they write.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const FIXTURES = path.join(ROOT, 'test/fixtures/node-sdk');

export type Message = Record<string, unknown>;

export interface HandlerOptions {
  /** Offer the protocol fd (the supervisor's way). @defaultValue true */
  fd3?: boolean;
  args?: string[];
  env?: Record<string, string>;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Handler {
  child: ChildProcess;
  /** Every line of the protocol stream (fd 3, or stdout without it), parsed; in order. */
  messages: Message[];
  /** Lines of the protocol stream that are not JSON objects. */
  garbage: string[];
  stdout(): string;
  stderr(): string;
  send(message: Message | string): void;
  end(): void;
  /** First message matching the predicate (already received or yet to come). */
  waitFor(predicate: (message: Message) => boolean, label?: string, timeoutMs?: number): Promise<Message>;
  /** Resolves once stderr contains text. */
  waitForStderr(text: string, timeoutMs?: number): Promise<void>;
  /** Resolves when the process has exited and its pipes are closed. */
  exited: Promise<Exit>;
}

const live = new Set<ChildProcess>();

/** Kills fixtures a failed test left running (only processes this harness started). */
export function killLeftovers(): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  live.clear();
}

export function assertBuilt(): void {
  if (!existsSync(path.join(ROOT, 'dist/sdk/node/index.js'))) {
    throw new Error('dist/sdk/node/index.js is missing: run `npx tsc -p tsconfig.json` before these tests');
  }
}

export const isReply = (taskId: string) => (m: Message) => m.task_id === taskId && 'result' in m;
export const isProgress = (taskId: string, message?: string) => (m: Message) =>
  m.type === 'progress' && m.task_id === taskId && (message === undefined || m.message === message);

export function startHandler(file: string, options: HandlerOptions = {}): Handler {
  const fd3 = options.fd3 ?? true;
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.DROVER_PROTOCOL_FD;
  if (fd3) env.DROVER_PROTOCOL_FD = '3';
  Object.assign(env, options.env);
  const child = spawn(process.execPath, [path.join(FIXTURES, file), ...(options.args ?? [])], {
    cwd: ROOT,
    env,
    stdio: ['pipe', 'pipe', 'pipe', fd3 ? 'pipe' : 'ignore'],
  });
  live.add(child);
  const messages: Message[] = [];
  const garbage: string[] = [];
  let stdout = '';
  let stderr = '';
  let pendingProtocol = '';
  const watchers = new Set<() => void>();
  const notify = (): void => {
    for (const watcher of [...watchers]) watcher();
  };

  const protocol = (fd3 ? child.stdio[3] : child.stdout) as Readable;
  protocol.setEncoding('utf8');
  protocol.on('data', (chunk: string) => {
    pendingProtocol += chunk;
    const lines = pendingProtocol.split('\n');
    pendingProtocol = lines.pop() ?? '';
    for (const line of lines) {
      try {
        const value: unknown = JSON.parse(line);
        if (typeof value === 'object' && value !== null && !Array.isArray(value)) messages.push(value as Message);
        else garbage.push(line);
      } catch {
        garbage.push(line);
      }
    }
    notify();
  });
  if (fd3) {
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      stdout += chunk;
    });
  } else {
    protocol.on('data', (chunk: string) => {
      stdout += chunk;
    });
  }
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderr += chunk;
    notify();
  });
  child.stdin!.on('error', () => {}); // EPIPE after the handler exited is the test's business
  const exited = new Promise<Exit>((resolve) => {
    child.once('close', (code, signal) => {
      if (pendingProtocol !== '') garbage.push(pendingProtocol);
      notify();
      resolve({ code, signal });
    });
  });

  function waitUntil<T>(check: () => T | undefined, label: string, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const done = (): boolean => {
        const found = check();
        if (found === undefined) return false;
        clearTimeout(timer);
        watchers.delete(watcher);
        resolve(found);
        return true;
      };
      const watcher = (): void => {
        done();
      };
      const timer = setTimeout(() => {
        watchers.delete(watcher);
        reject(
          new Error(
            `timed out waiting for ${label}\nmessages: ${JSON.stringify(messages)}\ngarbage: ${JSON.stringify(garbage)}\nstderr: ${stderr.slice(-2000)}`,
          ),
        );
      }, timeoutMs);
      if (!done()) watchers.add(watcher);
    });
  }

  return {
    child,
    messages,
    garbage,
    stdout: () => stdout,
    stderr: () => stderr,
    send(message) {
      child.stdin!.write(`${typeof message === 'string' ? message : JSON.stringify(message)}\n`);
    },
    end() {
      child.stdin!.end();
    },
    waitFor(predicate, label = 'a message', timeoutMs = 5000) {
      return waitUntil(() => messages.find(predicate), label, timeoutMs);
    },
    waitForStderr(text, timeoutMs = 5000) {
      return waitUntil(() => (stderr.includes(text) ? true : undefined), `stderr "${text}"`, timeoutMs).then(() => {});
    },
    exited,
  };
}

export const READY_1 = { status: 'ready', protocol: 1, concurrency: 1 };
