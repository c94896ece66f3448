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
import { MAX_TIMER_MS } from '../../max-timer.js';

export interface WaitOptions {
  /** Give up after this many ms with WAIT_TIMEOUT. @defaultValue undefined (wait forever) */
  timeoutMs?: number;
}

export async function waitForTask(ctx: BackendContext, subscriber: Subscriber, id: string, opts: WaitOptions = {}): Promise<TaskInfo> {
  const timeoutMs = opts.timeoutMs === undefined ? undefined : nonNegativeMs('timeoutMs', opts.timeoutMs);
  const keys = ctx.keys.task(id);
  if (!keys) throw new DroverError('TASK_NOT_FOUND', `task ${id} not found (not a drover task id)`);
  const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;

  let signalled = false;
  let wake: () => void = () => undefined;
  const signal = (): void => {
    signalled = true;
    wake();
  };
  const unsubscribe = await guard('wait', () => subscriber.subscribe(keys.done, signal));
  const offReconnect = subscriber.onReconnect(() => signal());
  try {
    for (;;) {
      if (subscriber.closed) throw new DroverError('QUEUE_ERROR', `wait for ${id}: the backend was closed`);
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
