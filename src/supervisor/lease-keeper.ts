import type { Logger } from 'pino';
import type { Pool } from '../process/pool.js';
import type { ClaimedTask, RedisBackend } from '../queue/redis/backend.js';
import { createIntervalLoop, type IntervalLoop } from './interval-loop.js';

export interface LeaseKeeperParams {
  backend: RedisBackend;
  pool: Pool;
  supervisorId: string;
  leaseMs: number;
  /** The claims this supervisor holds, by task id (shared with the supervisor). */
  held: ReadonlyMap<string, ClaimedTask>;
  /** Claims whose lease was lost (filled here; their outcome must not be written). */
  lost: Set<ClaimedTask>;
  logger: Logger;
  onLeaseLost?: (task: ClaimedTask) => void;
}

/**
 * The heartbeat: every leaseMs/3 renews the lease of every held claim in one call per queue.
 * A claim whose token no longer matches was lost (the recoverer gave the task to someone
 * else): its local attempt is cancelled. Cancel requests ride along, as a backstop for the
 * pub/sub notice that a reconnect can drop.
 */
export function createLeaseKeeper(p: LeaseKeeperParams): IntervalLoop {
  return createIntervalLoop({
    name: 'heartbeat',
    intervalMs: Math.max(100, Math.floor(p.leaseMs / 3)),
    logger: p.logger,
    run: async () => {
      if (p.held.size === 0) return;
      const renewed = new Map([...p.held.values()].map((t) => [t.id, t]));
      const { lost, cancelRequested } = await p.backend.extendLeases(p.supervisorId, [...renewed.values()], p.leaseMs);
      for (const id of cancelRequested) p.pool.cancel(id, 'cancelled by a client');
      for (const id of lost) {
        // The answer is about the claims we sent: a newer claim of the same id is not lost.
        const task = renewed.get(id);
        if (!task || p.held.get(id) !== task || p.lost.has(task)) continue;
        p.lost.add(task);
        p.onLeaseLost?.(task);
        p.logger.warn({ task: id }, 'lease lost (this supervisor was too slow or partitioned); cancelling the local attempt');
        p.pool.cancel(id, 'lease lost: another supervisor may now run this task');
      }
    },
  });
}
