/**
 * run() and runOnce(): the life of a handler process.
 *
 * 1. load phase: options checked, load function run (its value is ctx); on failure
 *    `{"status":"error","error":"<message>"}` and exit 1;
 * 2. `{"status":"ready","protocol":1,"concurrency":N}` (N: run()'s option, else the batch size of a
 *    batched task function, else 1);
 * 3. tasks from stdin until EOF (run) or one task (runOnce), replies as they finish;
 * 4. all replies flushed, exit 0.
 *
 * Signals (SIGTERM, and SIGINT alike): the first takes no more tasks, lets running ones finish
 * and exits 0 (during the load phase it exits 0 at once); tasks received but not started are
 * handed back with `"retry":true`. The second re-raises the signal: the process dies at once.
 */
import { encodeLoadError, encodeReady } from './messages.js';
import { normalizeRunOptions, type RunOnceOptions, type RunOptions } from './options.js';
import { protocolChannel, type ProtocolChannel } from './protocol-channel.js';
import { readLines } from './line-reader.js';
import { registered } from './registry.js';
import { createWorker, type Worker } from './worker.js';
import { warn, writeStderr } from './warn.js';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

let started = false;

function describe(error: unknown): string {
  if (error instanceof Error) return error.message;
  try {
    return String(error);
  } catch {
    return 'load failed';
  }
}

async function failLoad(channel: ProtocolChannel, error: unknown): Promise<never> {
  writeStderr(error instanceof Error && error.stack ? error.stack : `load failed: ${describe(error)}`);
  await channel.writeLine(encodeLoadError(describe(error)));
  await channel.flush();
  process.exit(1);
}

/** Installs the signal policy; returns a setter for the worker once it exists. */
function handleSignals(): (worker: Worker) => void {
  let worker: Worker | undefined;
  let received = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    received += 1;
    if (received > 1) {
      for (const name of SIGNALS) process.removeListener(name, onSignal);
      process.kill(process.pid, signal);
      return;
    }
    if (!worker) process.exit(0); // still loading: nothing in flight
    warn(`${signal}: finishing tasks in flight, taking no more (send it again to exit at once)`);
    worker.stop(`handler is shutting down (${signal})`);
  };
  for (const name of SIGNALS) process.on(name, onSignal);
  return (w) => {
    worker = w;
  };
}

async function serve(fn: string, options: RunOptions | undefined, maxTasks: number): Promise<void> {
  const channel = protocolChannel();
  if (started) {
    warn(`${fn} called again after run() or runOnce(); ignored`);
    return;
  }
  started = true;
  const setWorker = handleSignals();
  let normalized: Required<RunOptions>;
  let ctx: unknown;
  const { task, load } = registered();
  try {
    normalized = normalizeRunOptions(options, fn);
    if (!task) throw new Error(`${fn}: no task function registered; call task(fn) first`);
    if (task.kind === 'batch' && options?.concurrency === undefined) normalized.concurrency = task.size;
    if (maxTasks === 1) normalized.concurrency = 1;
    ctx = load ? await load() : undefined;
  } catch (error) {
    return failLoad(channel, error);
  }
  await channel.writeLine(encodeReady(normalized.concurrency));
  const worker = createWorker({
    emit: (line) => channel.writeLine(line),
    handler: task,
    ctx,
    concurrency: normalized.concurrency,
    maxTasks,
    maxLineBytes: normalized.maxLineBytes,
  });
  setWorker(worker);
  readLines(process.stdin, normalized.maxLineBytes, {
    line: (text) => worker.accept(text),
    overlong: (prefix, bytes) => worker.overlong(prefix, bytes),
    end: () => worker.endOfInput(),
  });
  await worker.finished;
  await channel.flush();
  process.exit(0);
}

/**
 * Serves tasks until stdin ends (long-lived mode): load, ready line, then up to
 * `concurrency` tasks at once. Exits the process when done; the promise never resolves.
 */
export function run(options?: RunOptions): Promise<void> {
  return serve('run()', options, Number.POSITIVE_INFINITY);
}

/** Serves exactly one task (one-shot mode): load, ready line, one task, its reply, exit 0. */
export function runOnce(options?: RunOnceOptions): Promise<void> {
  return serve('runOnce()', options, 1);
}
