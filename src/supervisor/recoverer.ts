import type { Logger } from 'pino';
import type { RedisBackend } from '../queue/redis/backend.js';
import type { RecoverResult } from '../queue/redis/leases.js';
import { createIntervalLoop, type IntervalLoop } from './interval-loop.js';

/**
 * Every interval, try the recovery sweep of each queue; a lock in Redis lets one supervisor
 * per interval run it. It requeues tasks whose lease expired and tasks active without a lease.
 */
export function createRecoverer(p: { backend: RedisBackend; queues: string[]; intervalMs: number; logger: Logger; onRecovered?: (r: RecoverResult) => void }): IntervalLoop {
  return createIntervalLoop({
    name: 'recoverer',
    intervalMs: p.intervalMs,
    logger: p.logger,
    run: async () => {
      const r = await p.backend.recover(p.queues, { lockMs: p.intervalMs });
      if (r.requeued > 0 || r.failed > 0 || r.cancelled > 0) {
        p.logger.warn(r, 'recovered tasks whose lease expired');
        p.onRecovered?.(r);
      }
    },
  });
}
