/**
 * Group commit (completion-batcher.ts) against a real Redis: what finishes while a complete call
 * is in flight goes out in the next call, together.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Client } from '../../../src/client/client.js';
import { Pool } from '../../../src/process/pool.js';
import { type ClaimedTask, RedisBackend } from '../../../src/queue/redis/backend.js';
import { createCompletionBatcher } from '../../../src/supervisor/completion-batcher.js';
import { createSupervisor } from '../../../src/supervisor/supervisor.js';
import { memoryLogger, pyHandler } from '../../helpers/handlers.js';
import { cleanupPrefix, connect, REDIS_URL, testPrefix } from '../../helpers/redis.js';
import { recordingBackend } from '../../helpers/recording-backend.js';

const redis = connect();
const prefix = testPrefix('group-commit');
const LEASE = { supervisorId: 'sup-gc', leaseMs: 30_000 };
afterEach(async () => {
  await cleanupPrefix(redis, prefix);
});
afterAll(async () => {
  await redis.quit();
});

/** The real backend; the size of every completeMany call. */
function sizedBackend(real: RedisBackend): { backend: RedisBackend; calls: number[] } {
  const { backend, calls } = recordingBackend(real, ['completeMany']);
  return {
    backend,
    get calls() {
      return calls.completeMany!.map((args) => (args[1] as unknown[]).length);
    },
  };
}

describe('completion batcher', () => {
  it('sends completions at once while fewer than two calls are in flight, and the ones that arrive meanwhile together, with their claims', async () => {
    const real = new RedisBackend({ redis, prefix });
    const recorded = sizedBackend(real);
    const { backend } = recorded;
    await real.enqueueMany('q', [1, 2, 3, 4, 5, 6, 7, 8].map((payload) => ({ payload })));
    const held = await real.claim('q', { ...LEASE, count: 5 });
    const claimed: ClaimedTask[] = [];
    const counts: number[] = [];
    const batcher = createCompletionBatcher({
      backend,
      write: (_what, fn) => fn(),
      slots: () => 8,
      claimOptions: (count) => {
        counts.push(count);
        return { ...LEASE, count, requestId: `sup-gc:${counts.length}` };
      },
      onClaimed: (task) => claimed.push(task),
      logger: memoryLogger().logger,
    });
    const accepted = await Promise.all(held.map((t, i) => batcher.submit(t, { n: t.payload }, i >= 2)));
    expect(accepted).toEqual([true, true, true, true, true]);
    expect(recorded.calls).toEqual([1, 1, 3]);
    expect(counts).toEqual([3]); // the first two asked for no next task, the other three for one each
    expect(claimed.map((t) => t.payload)).toEqual([6, 7, 8]);
    for (const t of held) expect(await real.get(t.id)).toMatchObject({ state: 'completed', result: { n: t.payload } });
    await real.close();
  });

  it('below 4 task slots every completion has a call of its own', async () => {
    const real = new RedisBackend({ redis, prefix });
    const recorded = sizedBackend(real);
    const { backend } = recorded;
    await real.enqueueMany('q', [1, 2, 3, 4].map((payload) => ({ payload })));
    const held = await real.claim('q', { ...LEASE, count: 4 });
    const batcher = createCompletionBatcher({
      backend,
      write: (_what, fn) => fn(),
      slots: () => 2,
      claimOptions: () => undefined,
      onClaimed: () => undefined,
      logger: memoryLogger().logger,
    });
    expect(await Promise.all(held.map((t) => batcher.submit(t, 1, false)))).toEqual([true, true, true, true]);
    expect(recorded.calls).toEqual([1, 1, 1, 1]);
    await real.close();
  });

  it('answers undefined for every completion of a call whose write was given up, and for a result that is not JSON', async () => {
    const real = new RedisBackend({ redis, prefix });
    await real.enqueueMany('q', [1, 2].map((payload) => ({ payload })));
    const held = await real.claim('q', { ...LEASE, count: 2 });
    const { logger, records } = memoryLogger();
    const batcher = createCompletionBatcher({
      backend: real,
      write: async () => undefined, // untilWritten gave up (shutdown past its grace)
      slots: () => 8,
      claimOptions: () => undefined,
      onClaimed: () => expect.fail('nothing was claimed'),
      logger,
    });
    expect(await Promise.all(held.map((t) => batcher.submit(t, 1, true)))).toEqual([undefined, undefined]);
    expect(await batcher.submit(held[0]!, { big: 1n }, false)).toBeUndefined();
    expect(records.some((r) => String(r.error).includes('result is not JSON-serializable'))).toBe(true);
    for (const t of held) expect(await real.get(t.id)).toMatchObject({ state: 'active' }); // left to their leases
    await real.close();
  });

  it('a supervisor under load completes in fewer calls than tasks, and every task once', async () => {
    const real = new RedisBackend({ redis, prefix });
    const recorded = sizedBackend(real);
    const { backend } = recorded;
    const { logger } = memoryLogger();
    const pool = new Pool({ command: pyHandler('echo.py'), concurrency: 6, logger });
    const supervisor = createSupervisor({ backend, pool, queues: [{ name: 'load' }], logger });
    const client = new Client({ redis: REDIS_URL, prefix });
    try {
      const tasks = 300;
      const ids = (await client.enqueueMany('load', Array.from({ length: tasks }, (_, i) => ({ payload: { i } })))).map((r) => r.id);
      pool.start();
      supervisor.start();
      const infos = await Promise.all(ids.map((id) => client.wait(id, { timeout: 30_000 })));
      expect(infos.every((info) => info.state === 'completed')).toBe(true);
      expect(recorded.calls.reduce((a, b) => a + b, 0)).toBe(tasks);
      expect(recorded.calls.length).toBeLessThan(tasks);
      expect((await client.stats('load')).totals).toMatchObject({ completed: tasks, staleReplies: 0 });
    } finally {
      await supervisor.stop();
      await client.close();
      await real.close();
    }
  });
});
