/**
 * wait(id): woken by Redis pub/sub, never by polling. The waiter subscribes to the task's done
 * channel first and only then reads the task, so a finish between the two is never missed: the
 * read sees it, or the message arrives. A reconnect of the subscriber triggers a re-read.
 */
import { DroverError } from '../../errors.js';
import type { BackendContext } from './context.js';
import { nonNegativeMs } from './options.js';
import type { Subscriber } from './subscriber.js';
import { type TaskInfo, isTerminal } from './task-info.js';
import { getTask } from './task-read.js';
import { guard } from './redis-errors.js';

/** A completed task's result, taken from its done message (the task was not read). */
export interface InlineResult {
  inline: true;
  result: unknown;
}

/** A done message `completed\n<result JSON>` (finish.lua: results up to C.DONE_RESULT_MAX bytes). */
const INLINE_PREFIX = 'completed\n';

export interface WaitOptions {
  /** Give up after this many ms with WAIT_TIMEOUT. @defaultValue undefined (wait forever) */
  timeoutMs?: number;
  /**
   * Read the task only once this settles (its rejection is the wait's): lets a caller subscribe
   * while the task is still being enqueued, overlapping the two round trips.
   */
  after?: Promise<unknown>;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

export function waitForTask(ctx: BackendContext, subscriber: Subscriber, id: string, opts: WaitOptions = {}): Promise<TaskInfo> {
  return waitFor(ctx, subscriber, id, opts, false) as Promise<TaskInfo>;
}

/**
 * As waitForTask, but a completed task whose result rode on its done message resolves with
 * that result without reading the task: one round trip less for `client.run`.
 */
export function waitForResult(ctx: BackendContext, subscriber: Subscriber, id: string, opts: WaitOptions = {}): Promise<TaskInfo | InlineResult> {
  return waitFor(ctx, subscriber, id, opts, true);
}

async function waitFor(
  ctx: BackendContext,
  subscriber: Subscriber,
  id: string,
  opts: WaitOptions,
  acceptInline: boolean,
): Promise<TaskInfo | InlineResult> {
  const timeoutMs = opts.timeoutMs === undefined ? undefined : nonNegativeMs('timeoutMs', opts.timeoutMs);
  const keys = ctx.keys.task(id);
  if (!keys) {
    opts.after?.catch(() => undefined); // its failure is not ours to report now
    throw new DroverError('TASK_NOT_FOUND', `task ${id} not found (not a drover task id)`);
  }
  const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;

  let signalled = false;
  let inline: string | undefined;
  let wake: () => void = () => undefined;
  const signal = (message?: string): void => {
    if (acceptInline && message?.startsWith(INLINE_PREFIX)) inline = message.slice(INLINE_PREFIX.length);
    signalled = true;
    wake();
  };
  const subscribed = guard('wait', () => subscriber.subscribe(keys.done, signal));
  if (opts.after) {
    // Both in flight at once; a failed enqueue still lets the subscription be released.
    const [sub, after] = await Promise.allSettled([subscribed, opts.after]);
    if (after.status === 'rejected') {
      if (sub.status === 'fulfilled') void sub.value().catch(() => undefined);
      throw after.reason;
    }
  }
  const unsubscribe = await subscribed;
  const offReconnect = subscriber.onReconnect(() => signal());
  try {
    for (;;) {
      if (subscriber.closed) throw new DroverError('QUEUE_ERROR', `wait for ${id}: the backend was closed`);
      if (inline !== undefined) return { inline: true, result: JSON.parse(inline) as unknown };
      signalled = false;
      const info = await getTask(ctx, id);
      if (!info) throw new DroverError('TASK_NOT_FOUND', `task ${id} not found (unknown, deleted or expired)`);
      if (isTerminal(info.state)) return info;
      if (signalled) continue;
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new DroverError('WAIT_TIMEOUT', `task ${id} did not finish within ${timeoutMs} ms (state: ${info.state})`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(remaining, MAX_TIMER_MS));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = () => undefined;
    }
  } finally {
    offReconnect();
    // Not awaited: the answer is known, and the UNSUBSCRIBE is ordered before any later
    // SUBSCRIBE on the same connection anyway. Saves a round trip per wait.
    void unsubscribe().catch(() => undefined);
  }
}
