/** cancel, onCancel, deleteTask and the dead set (retry, purge). */
import { DroverError } from '../../errors.js';
import type { TaskState } from '../task.js';
import { type BackendContext, runQueueScript } from './context.js';
import { assertQueueName, queueOfTaskId } from './keys.js';
import { asArray, asNumber, asString } from './reply.js';
import { LUA_CONSTANTS } from './scripts.js';
import type { Subscriber } from './subscriber.js';

const CANCELLED_ERROR = JSON.stringify({ message: 'cancelled before it ran', type: 'Cancelled', reason: 'cancelled' });

/**
 * pending/scheduled -> cancelled now (idempotency key released); active -> cancel requested
 * and published to the owning supervisor; finished -> unchanged. null when the task is unknown.
 */
export async function cancel(ctx: BackendContext, id: string): Promise<{ state: TaskState } | null> {
  const queue = queueOfTaskId(id);
  if (queue === null) return null;
  const state = asString(await runQueueScript(ctx, 'cancel', queue, [id, CANCELLED_ERROR]));
  return state === '' ? null : { state: state as TaskState };
}

/** Calls `cb(taskId)` when a cancel is requested for an active task of these queues. */
export async function onCancel(
  ctx: BackendContext,
  subscriber: Subscriber,
  queues: readonly string[],
  cb: (taskId: string) => void,
): Promise<() => Promise<void>> {
  for (const q of queues) assertQueueName(q);
  const offs = await Promise.all(
    [...new Set(queues)].map((q) => subscriber.subscribe(ctx.keys.channels(q).cancel, (id) => cb(id))),
  );
  return async () => {
    await Promise.all(offs.map((off) => off()));
  };
}

/** Deletes a task in any state with all its keys; false when it did not exist. */
export async function deleteTask(ctx: BackendContext, id: string): Promise<boolean> {
  const queue = queueOfTaskId(id);
  if (queue === null) return false;
  return asNumber(await runQueueScript(ctx, 'delete-task', queue, [id])) === 1;
}

/** Moves dead tasks back to pending with a fresh retry budget; all of them when ids is omitted. */
export async function retryDead(ctx: BackendContext, queue: string, ids?: readonly string[]): Promise<number> {
  assertQueueName(queue);
  if (ids !== undefined) {
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) {
      throw new DroverError('INVALID_OPTION', `ids: expected an array of task ids, got ${JSON.stringify(ids)}`);
    }
    let moved = 0;
    for (let i = 0; i < ids.length; i += 500) {
      const reply = asArray(await runQueueScript(ctx, 'retry-dead', queue, ids.slice(i, i + 500)));
      moved += asNumber(reply[0]);
    }
    return moved;
  }
  let moved = 0;
  for (;;) {
    const [m, examined] = asArray(await runQueueScript(ctx, 'retry-dead', queue, [])).map((x) => asNumber(x));
    moved += m ?? 0;
    if ((examined ?? 0) < Number(LUA_CONSTANTS.TRIM_BATCH)) return moved;
  }
}

/** Deletes every dead task of the queue; returns how many entries were removed. */
export async function purgeDead(ctx: BackendContext, queue: string): Promise<number> {
  assertQueueName(queue);
  let removed = 0;
  for (;;) {
    const n = asNumber(await runQueueScript(ctx, 'purge-dead', queue, []));
    removed += n;
    if (n < Number(LUA_CONSTANTS.TRIM_BATCH)) return removed;
  }
}
