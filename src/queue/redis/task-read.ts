/** Reading tasks: get one, list the dead set. */
import { type BackendContext } from './context.js';
import { assertQueueName } from './keys.js';
import { type TaskInfo, parseTaskInfo } from './task-info.js';
import { guard } from './redis-errors.js';

/** The task, or null when the id is unknown, deleted or expired. */
export async function getTask(ctx: BackendContext, id: string): Promise<TaskInfo | null> {
  const keys = ctx.keys.task(id);
  if (!keys) return null;
  const hash = await guard('get', () => ctx.redis.hgetall(keys.hash), ctx.redis);
  return parseTaskInfo(id, hash);
}

/** Dead (failed) tasks, most recently failed first; entries that already expired are skipped. */
export async function listDead(
  ctx: BackendContext,
  queue: string,
  page: { offset?: number; limit?: number } = {},
): Promise<TaskInfo[]> {
  assertQueueName(queue);
  const offset = Math.max(0, Math.floor(page.offset ?? 0));
  const limit = Math.min(1000, Math.max(1, Math.floor(page.limit ?? 100)));
  const q = ctx.keys.queue(queue);
  // The dead set is scored by retention expiry, so newest-first is reverse score order.
  const ids = await ctx.redis.zrevrange(q.failed, offset, offset + limit - 1);
  if (ids.length === 0) return [];
  const pipeline = ctx.redis.pipeline();
  for (const id of ids) pipeline.hgetall(q.taskPrefix + id);
  const replies = (await pipeline.exec()) ?? [];
  const out: TaskInfo[] = [];
  for (const [i, [err, value]] of replies.entries()) {
    if (err) throw err;
    const info = parseTaskInfo(ids[i]!, value as Record<string, string>);
    if (info && info.state === 'failed') out.push(info);
  }
  return out;
}
