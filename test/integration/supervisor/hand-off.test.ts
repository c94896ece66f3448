/**
 * Direct hand-off at low load, through a real supervisor: the slot a completion frees goes back
 * on the supervisor's idle entry in the same call, so tasks run one at a time arrive by
 * hand-off without a claim call between them.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Client } from '../../../src/client/client.js';
import { Pool } from '../../../src/process/pool.js';
import { RedisBackend } from '../../../src/queue/redis/backend.js';
import { createSupervisor } from '../../../src/supervisor/supervisor.js';
import { memoryLogger, pyHandler } from '../../helpers/handlers.js';
import { recordingBackend } from '../../helpers/recording-backend.js';
import { cleanupPrefix, connect, REDIS_URL, testPrefix } from '../../helpers/redis.js';

const redis = connect();
const prefix = testPrefix('hand-off');
afterEach(async () => {
  await cleanupPrefix(redis, prefix);
});
afterAll(async () => {
  await redis.quit();
});

describe('hand-off at low load', () => {
  it('one task at a time: every task is handed over, with no claim call between tasks', async () => {
    const real = new RedisBackend({ redis, prefix });
    const { backend, calls } = recordingBackend(real, ['claim', 'completeMany']);
    const { logger } = memoryLogger();
    const pool = new Pool({ command: pyHandler('echo.py'), concurrency: 1, pipeline: 0, logger });
    const supervisor = createSupervisor({ backend, pool, queues: [{ name: 'calm' }], logger });
    const client = new Client({ redis: REDIS_URL, prefix });
    try {
      pool.start();
      supervisor.start();
      await pool.whenReady();
      const tasks = 12;
      for (let i = 0; i < tasks; i += 1) {
        expect(await client.run('calm', { i }, { timeout: 10_000 })).toMatchObject({ echo: { i } });
      }
      expect(calls.completeMany!).toHaveLength(tasks);
      // Before, each hand-off used up an entry registered with one slot, and the supervisor
      // claimed (to register again) after every task: 12 claim calls here. A claim may still
      // come from the first registration or from a task that finished while its hand-off
      // raced the complete, never one per task.
      expect(calls.claim!.length).toBeLessThanOrEqual(4);
    } finally {
      await supervisor.stop();
      await client.close();
      await real.close();
    }
  });

  it('a burst into an idle supervisor runs at once: a hand-off while one task runs is not held back', async () => {
    const real = new RedisBackend({ redis, prefix });
    const { logger } = memoryLogger();
    // One process that declares 4 tasks at a time and reports how many it held when each came.
    const pool = new Pool({ command: pyHandler('inflight.py', { CONCURRENCY: '4', DELAY_MS: '400' }), concurrency: 1, pipeline: 0, logger });
    const supervisor = createSupervisor({ backend: real, pool, queues: [{ name: 'burst' }], logger });
    const client = new Client({ redis: REDIS_URL, prefix });
    try {
      pool.start();
      supervisor.start();
      await pool.whenReady();
      await client.run('burst', {}, { timeout: 10_000 }); // now idle on an empty queue, registered for hand-off
      const results = await Promise.all(Array.from({ length: 4 }, () => client.run<{ open_at_arrival: number }>('burst', {}, { timeout: 10_000 })));
      // All four in the handler together. Holding every hand-off until the task before it
      // finished (no cap, no exception for a burst) gave at most 2 together.
      expect(Math.max(...results.map((r) => r.open_at_arrival))).toBe(4);
    } finally {
      await supervisor.stop();
      await client.close();
      await real.close();
    }
  });
});
