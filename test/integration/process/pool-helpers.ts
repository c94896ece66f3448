import { afterEach } from 'vitest';
import { Pool } from '../../../src/process/pool.js';
import type { PoolOptions } from '../../../src/process/pool-options.js';
import type { TaskAttempt } from '../../../src/queue/task.js';
import { memoryLogger } from '../../helpers/handlers.js';

const pools: Pool[] = [];

/** A started pool whose processes are stopped after the test. */
export function startPool(options: Omit<PoolOptions, 'logger'> & Partial<Pick<PoolOptions, 'logger'>>) {
  const { logger, records } = memoryLogger();
  const pool = new Pool({ logger, ...options });
  pools.push(pool);
  pool.start();
  return { pool, records };
}

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.stop(1000)));
});

let n = 0;
export function attempt(payload: unknown, extra: Partial<TaskAttempt> = {}): TaskAttempt {
  n += 1;
  return { id: `t${n}`, payload, retryCount: 0, maxRetry: 0, ...extra };
}
