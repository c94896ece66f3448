import type { Pool } from '../process/pool.js';
import { type BackoffOptions, normalizeBackoff } from '../queue/backoff.js';
import { retryDelayMs, shouldRetry } from '../queue/retry-policy.js';
import type { AttemptOutcome, FailureReason, TaskError } from '../queue/task.js';
import type { BatchInput } from './input-lines.js';
import { OrderedOutput } from './ordered-output.js';

/** One line of batch output. */
export type BatchRecord =
  | { id: string; result: unknown }
  | { id: string; error: TaskError | { message: string; type: string; reason: 'invalid_input' }; attempts: number };

export interface BatchRunOptions {
  /** Retries after the first attempt, for retryable failures (retry flag, crash, timeout). @defaultValue 2 */
  retries: number;
  /** Per-attempt timeout in ms; 0 = none. @defaultValue 0 */
  timeoutMs: number;
  backoff?: BackoffOptions;
  /** Attempts queued per handler slot beyond what is running, so the next starts at once. @defaultValue 1 */
  prefetch?: number;
  /** Write records in input order instead of completion order. @defaultValue false */
  keepOrder?: boolean;
}

export interface BatchSummary {
  succeeded: number;
  failed: number;
  skipped: number;
  failedByReason: Partial<Record<FailureReason | 'invalid_input', number>>;
  durationMs: number;
  /** Set when the run stopped early: the handler could not load, or the user interrupted it. */
  stoppedBy?: { kind: 'unhealthy' | 'interrupted'; message: string };
}

export interface BatchRunParams {
  pool: Pool;
  inputs: AsyncIterable<BatchInput>;
  /** Ids to skip (already done, from --resume). */
  skip?: (id: string) => boolean;
  write: (record: BatchRecord) => Promise<void>;
  options: BatchRunOptions;
  onUpdate?: (summary: BatchSummary) => void;
  /** Aborting stops reading input; in-flight attempts finish, waiting retries are dropped (not written). */
  signal?: AbortSignal;
}

/**
 * Feed batch inputs through the pool with retries and backoff; write one record per task.
 * A task that did not finish (load failure, interrupt) is not written, so --resume runs it again.
 */
export async function runBatch(params: BatchRunParams): Promise<BatchSummary> {
  const { pool, options } = params;
  const backoff = normalizeBackoff(options.backoff);
  const started = Date.now();
  const summary: BatchSummary = { succeeded: 0, failed: 0, skipped: 0, failedByReason: {}, durationMs: 0 };
  const stop = new AbortController();
  const onAbort = (): void => {
    summary.stoppedBy ??= { kind: 'interrupted', message: 'interrupted' };
    stop.abort();
  };
  params.signal?.addEventListener('abort', onAbort, { once: true });
  const onUnhealthy = (error: Error): void => {
    summary.stoppedBy ??= { kind: 'unhealthy', message: error.message };
    stop.abort();
    pool.takeQueued('the handler failed to load');
  };
  pool.on('unhealthy', onUnhealthy);

  const inFlight = new Set<Promise<void>>();
  const running = new Set<string>();
  // The input reader sleeps here while the pool is full; a finished task or a stop wakes it.
  // (A Promise.race over the in-flight set would pile reactions onto never-settling promises.)
  let wakeReader: (() => void) | undefined;
  const wake = (): void => {
    wakeReader?.();
    wakeReader = undefined;
  };
  stop.signal.addEventListener('abort', wake, { once: true });
  // A handler that declares concurrency N takes N tasks once ready: read more input then.
  pool.on('capacity', wake);
  const ordered = options.keepOrder ? new OrderedOutput(params.write) : undefined;
  let nextSeq = 0;
  /** One call per task or bad line, in any order; `null` = nothing to write (not finished). */
  const emit = async (seq: number, r: BatchRecord | null, reason?: FailureReason | 'invalid_input'): Promise<void> => {
    if (r && 'result' in r) summary.succeeded += 1;
    else if (r) {
      summary.failed += 1;
      if (reason) summary.failedByReason[reason] = (summary.failedByReason[reason] ?? 0) + 1;
    }
    if (ordered) await ordered.put(seq, r);
    else if (r) await params.write(r);
    if (r) params.onUpdate?.({ ...summary, durationMs: Date.now() - started });
  };

  const runTask = async (seq: number, id: string, payload: unknown): Promise<void> => {
    for (let retryCount = 0; ; retryCount += 1) {
      const outcome: AttemptOutcome = await pool.run({ id, payload, retryCount, maxRetry: options.retries, timeoutMs: options.timeoutMs || undefined });
      if (outcome.ok) return emit(seq, { id, result: outcome.result });
      if (outcome.notStarted || outcome.interrupted) return emit(seq, null);
      if (!shouldRetry(outcome, retryCount, options.retries)) {
        return emit(seq, { id, error: outcome.error, attempts: retryCount + 1 }, outcome.error.reason);
      }
      if (stop.signal.aborted) return emit(seq, null); // a retry is due but the run is stopping: --resume reruns it
      const delay = retryDelayMs(retryCount + 1, backoff, outcome.retryAfterMs);
      if (!(await sleep(delay, stop.signal))) return emit(seq, null);
    }
  };
  const invalid = (item: { id: string }, message: string): Promise<void> =>
    emit(nextSeq++, { id: item.id, error: { message, type: 'InvalidInput', reason: 'invalid_input' }, attempts: 0 }, 'invalid_input');

  try {
    const prefetch = options.prefetch ?? 1;
    for await (const item of params.inputs) {
      if (stop.signal.aborted) break;
      if (params.skip?.(item.id)) {
        summary.skipped += 1;
        continue;
      }
      if (!item.ok) {
        await invalid(item, item.message);
        continue;
      }
      if (running.has(item.id)) {
        await invalid(item, `input line ${item.line}: id "${item.id}" is already running (ids must be unique)`);
        continue;
      }
      while (inFlight.size >= pool.capacity * (1 + prefetch) && !stop.signal.aborted) {
        await new Promise<void>((resolve) => (wakeReader = resolve));
      }
      if (stop.signal.aborted) break;
      running.add(item.id);
      const task = runTask(nextSeq++, item.id, item.payload).finally(() => {
        inFlight.delete(task);
        running.delete(item.id);
        wake();
      });
      inFlight.add(task);
    }
    await Promise.all(inFlight);
  } finally {
    pool.off('unhealthy', onUnhealthy);
    pool.off('capacity', wake);
    params.signal?.removeEventListener('abort', onAbort);
  }
  summary.durationMs = Date.now() - started;
  return summary;
}

/** Sleep unless aborted; true when the full delay passed. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
