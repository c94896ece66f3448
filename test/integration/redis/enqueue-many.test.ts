import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Client } from '../../../src/client/client.js';
import { createContext, runQueueScript } from '../../../src/queue/redis/context.js';
import { KeySpace } from '../../../src/queue/redis/keys.js';
import { LUA_CONSTANTS } from '../../../src/queue/redis/scripts.js';
import { cleanupPrefix, connect, REDIS_URL, testPrefix } from '../../helpers/redis.js';

const redis = connect();
let prefix: string;
let client: Client;
beforeEach(() => {
  prefix = testPrefix('many');
  client = new Client({ redis: REDIS_URL, prefix });
});
afterEach(async () => {
  await client.close();
  await cleanupPrefix(redis, prefix);
});
afterAll(async () => {
  await redis.quit();
});

describe('enqueueMany', () => {
  it('checks every item first: a bad one enqueues nothing and is named by its index', async () => {
    const items = [{ payload: 1 }, { payload: 2 }, { payload: 3, options: { priority: 5000 } }];
    await expect(client.enqueueMany('q', items)).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringMatching(/^items\[2\]: priority: expected an integer/) });
    expect((await client.stats('q')).counts.pending).toBe(0);
  });

  it('keeps every option of an item among items at their defaults, and reports the existing task for a taken idempotency key', async () => {
    const [first] = await client.enqueueMany('q', [{ payload: 'x', options: { idempotencyKey: 'k' } }]);
    const res = await client.enqueueMany('q', [
      { payload: 'plain' },
      { payload: 'opts', options: { priority: -2, maxRetries: 7, timeoutMs: 1500, type: 't', meta: { a: 1 }, backoff: { type: 'fixed', baseMs: 10 } } },
      { payload: 'again', options: { idempotencyKey: 'k' } },
      { payload: 'later', options: { delayMs: 60_000 } },
    ]);
    expect(res.map((r) => r.created)).toEqual([true, true, false, true]);
    expect(res[2]!.id).toBe(first!.id);
    const opts = await client.get(res[1]!.id);
    expect(opts).toMatchObject({ state: 'pending', payload: 'opts', type: 't', maxRetry: 7 });
    expect(opts.options).toMatchObject({ priority: -2, timeoutMs: 1500, meta: { a: 1 }, backoff: { type: 'fixed', baseMs: 10 } });
    expect((await client.get(res[0]!.id)).options).toMatchObject({ priority: 0, maxRetries: 3, timeoutMs: 0 });
    expect((await client.get(res[3]!.id)).state).toBe('scheduled');
  });

  it('one call of more tasks than one RPUSH carries keeps their order, priorities apart', async () => {
    // The client sends 500 per call; a script caller may send more (PUSH_BATCH per RPUSH).
    const n = Number(LUA_CONSTANTS.PUSH_BATCH) + 201;
    const args: string[] = [];
    for (let i = 0; i < n; i += 1) args.push(`q:t${String(i).padStart(5, '0')}`, String(i), i % 100 === 7 ? '["5","0","","","","","","","","","","",""]' : '');
    const reply = (await runQueueScript(createContext(redis, prefix), 'enqueue-many', 'q', args)) as [string, unknown[]];
    expect(reply[0]).toBe('1'.repeat(n));
    const listed = await redis.lrange(new KeySpace(prefix).queue('q').pendingList, 0, -1);
    const plain = Array.from({ length: n }, (_, i) => i).filter((i) => i % 100 !== 7);
    expect(listed).toEqual(plain.map((i) => `t${String(i).padStart(5, '0')}`));
    const stats = await client.stats('q');
    expect(stats.counts.pending).toBe(n);
  });

  it('enqueues every item in order when all are valid', async () => {
    const res = await client.enqueueMany('q', [{ payload: 'a' }, { payload: 'b', options: { priority: 3 } }]);
    expect(res.map((r) => r.created)).toEqual([true, true]);
    expect((await client.get(res[1]!.id)).payload).toBe('b');
  });
});
