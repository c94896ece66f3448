import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { HandlerCommand } from '../../src/process/spawn-handler.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The real interpreter behind `python3` (the pyenv shim costs ~100 ms per start). */
export const PYTHON: string =
  process.env.DROVER_TEST_PYTHON ??
  execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();

export function fixture(name: string): string {
  return fileURLToPath(new URL(`../fixtures/handlers/${name}`, import.meta.url));
}

/** A command that runs a Python fixture from test/fixtures/handlers. */
export function pyHandler(name: string, env: Record<string, string> = {}): HandlerCommand {
  return { command: PYTHON, args: [fixture(name)], env };
}

/** A pino logger that keeps every record in memory, for asserting what was logged. */
export function memoryLogger(): { logger: Logger; records: Record<string, unknown>[] } {
  const records: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) records.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), records };
}

/** Poll `check` every `everyMs` until it holds; throws naming `what` (text, or a function for a late log tail) on timeout. */
export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
  what: string | (() => string) = 'condition',
  everyMs = 20,
): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
