/**
 * client.subscribe(id): a task's progress and partial outputs as they happen, then the finished
 * task. Built on the backend's event stream (task-events.ts), always replayed from its start, so
 * what the handler reported before the subscription is delivered first and in order; the
 * iteration ends by itself after exactly one `final` item.
 */
import { DroverError } from '../errors.js';
import type { RedisBackend } from '../queue/redis/backend.js';
import { nonNegativeMs } from '../queue/redis/options.js';
import type { TaskInfo } from '../queue/redis/task-info.js';
import type { TaskStreamItem } from '../queue/redis/task-events.js';
import { MAX_TIMER_MS } from '../max-timer.js';

/** `progress(fraction, message?)` reported by the handler: fraction in 0..1. */
export interface ProgressUpdate {
  type: 'progress';
  taskId: string;
  progress: number;
  message?: string;
}

/** One `partial(data)` reported by the handler (a token, a frame, a row). */
export interface PartialUpdate<P = unknown> {
  type: 'partial';
  taskId: string;
  data: P;
}

/** The last item: the task in its terminal state (`completed`, `failed` or `cancelled`). */
export interface FinalUpdate<R = unknown> {
  type: 'final';
  taskId: string;
  task: TaskInfo & { result?: R };
}

/** What `subscribe()` yields; narrow on `type`. `P` types partial data, `R` the result. */
export type TaskUpdate<P = unknown, R = unknown> = ProgressUpdate | PartialUpdate<P> | FinalUpdate<R>;

export interface SubscribeOptions {
  /**
   * Ends the iteration early, without an error (the task keeps running). The stream's blocked
   * read is released within a few seconds, or at once by client.close().
   * @defaultValue undefined
   */
  signal?: AbortSignal;
  /** Milliseconds before WAIT_TIMEOUT is thrown (the task keeps running). @defaultValue undefined (no limit) */
  timeout?: number;
}

type Race<T> = { kind: 'item'; result: IteratorResult<T, void> } | { kind: 'aborted' } | { kind: 'timeout' };

export async function* subscribeToTask<P = unknown, R = unknown>(
  backend: RedisBackend,
  id: string,
  options: SubscribeOptions = {},
): AsyncGenerator<TaskUpdate<P, R>, void, undefined> {
  if (options.timeout !== undefined) nonNegativeMs('timeout', options.timeout); // as wait() and run()
  const { signal, timeout } = options;
  if (signal?.aborted) return;
  const deadline = timeout === undefined ? Infinity : Date.now() + timeout;
  const stream = backend.events(id, { fromStart: true });
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  let pending: Promise<IteratorResult<TaskStreamItem, void>> | undefined;
  try {
    for (;;) {
      if (signal?.aborted) return; // aborted while the caller handled the last item
      const next = stream.next();
      pending = next;
      const stops: Promise<Race<TaskStreamItem>>[] = [next.then((result) => ({ kind: 'item', result }))];
      if (signal) {
        stops.push(
          new Promise((resolve) => {
            onAbort = () => resolve({ kind: 'aborted' });
            signal.addEventListener('abort', onAbort, { once: true });
          }),
        );
      }
      if (deadline !== Infinity) {
        const remaining = Math.max(0, deadline - Date.now());
        stops.push(new Promise((resolve) => (timer = setTimeout(() => resolve({ kind: 'timeout' }), Math.min(remaining, MAX_TIMER_MS)))));
      }
      const outcome = await Promise.race(stops);
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
      if (outcome.kind === 'aborted') return;
      if (outcome.kind === 'timeout') {
        throw new DroverError('WAIT_TIMEOUT', `task ${id} did not finish within ${timeout} ms (subscription ended; the task keeps running)`);
      }
      pending = undefined;
      if (outcome.result.done) return;
      const item = outcome.result.value;
      yield item as TaskUpdate<P, R>;
      if (item.type === 'final') return;
    }
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener('abort', onAbort);
    if (pending) {
      // A read still blocked (abort, timeout): the return is queued behind it and releases the
      // stream's connection when the read settles; its outcome no longer matters.
      pending.catch(() => undefined);
      void stream.return(undefined).catch(() => undefined);
    } else {
      await stream.return(undefined);
    }
  }
}
