/**
 * completeMany (complete-many.lua): several attempts of one queue completed in one call, with one
 * claim of the next tasks for all of them (the supervisor's group commit).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ClaimedTask, resultJson } from '../../../src/queue/redis/backend.js';
import { runQueueScript, createContext } from '../../../src/queue/redis/context.js';
import { KeySpace } from '../../../src/queue/redis/keys.js';
import { type Fixture, LEASE, createFixture } from './fixture.js';

describe('RedisBackend.completeMany', () => {
  let f: Fixture;
  let ks: KeySpace;
  beforeEach(() => {
    f = createFixture('cmany');
    ks = new KeySpace(f.prefix);
  });
  afterEach(async () => {
    await f.cleanup();
  });

  const done = (task: ClaimedTask, result: unknown = { echo: task.payload }) => ({ task, resultJson: resultJson(result) });
  const tokenCounter = async (queue: string): Promise<number> => Number(await f.redis.hget(ks.queue(queue).counters, 'token'));

  it('completes every attempt, claims one next task per attempt that asks, and counts each once', async () => {
    await f.backend.enqueueMany('q', [1, 2, 3, 4, 5, 6].map((payload) => ({ payload })));
    const held = await f.backend.claim('q', { ...LEASE, count: 3 });
    expect(held.map((t) => t.payload)).toEqual([1, 2, 3]);
    const r = await f.backend.completeMany('q', held.map((t) => done(t)), { ...LEASE, count: 2, requestId: 'sup-test:1' });
    expect(r.accepted).toEqual([true, true, true]);
    expect(r.claimed.map((t) => t.payload)).toEqual([4, 5]);
    // One token step per claimed task, increasing in claim order.
    expect(r.claimed.map((t) => t.token)).toEqual([4, 5]);
    expect(await tokenCounter('q')).toBe(5);
    for (const t of held) expect(await f.backend.get(t.id)).toMatchObject({ state: 'completed', result: { echo: t.payload } });
    const stats = await f.backend.stats('q');
    expect(stats.counts).toMatchObject({ pending: 1, active: 2, completed: 3 });
    expect(stats.totals.completed).toBe(3);
    expect(stats.throughput.at(-1)!.completed).toBe(3);
    expect(await f.redis.zrange(ks.queue('q').active, '0', '-1')).toEqual(expect.arrayContaining(r.claimed.map((t) => t.id)));
    expect(await f.redis.zcard(ks.queue('q').active)).toBe(2);
  });

  it('a stale attempt in the call is refused and counted; the others are completed', async () => {
    await f.backend.enqueueMany('q', [1, 2].map((payload) => ({ payload })));
    const [a, b] = await f.backend.claim('q', { ...LEASE, count: 2 });
    const r = await f.backend.completeMany('q', [done(a!), done({ ...b!, token: b!.token + 100 })]);
    expect(r).toEqual({ accepted: [true, false], claimed: [] });
    expect(await f.backend.get(a!.id)).toMatchObject({ state: 'completed' });
    expect(await f.backend.get(b!.id)).toMatchObject({ state: 'active' });
    expect((await f.backend.stats('q')).totals).toMatchObject({ completed: 1, staleReplies: 1 });
  });

  it('the same call sent again (a lost reply) is accepted again, claims nothing new and counts nothing twice', async () => {
    await f.backend.enqueueMany('q', [1, 2, 3, 4, 5].map((payload) => ({ payload })));
    const held = await f.backend.claim('q', { ...LEASE, count: 2 });
    const items = held.map((t) => done(t));
    const claim = { ...LEASE, count: 2, requestId: 'sup-test:7' };
    const first = await f.backend.completeMany('q', items, claim);
    const again = await f.backend.completeMany('q', items, claim);
    expect(again.accepted).toEqual([true, true]);
    expect(again.claimed).toEqual(first.claimed);
    expect(first.claimed.map((t) => t.payload)).toEqual([3, 4]);
    expect(await tokenCounter('q')).toBe(4);
    expect((await f.backend.stats('q')).totals).toMatchObject({ completed: 2, staleReplies: 0 });
    expect((await f.backend.stats('q')).counts).toMatchObject({ pending: 1, active: 2 });
  });

  it('with no attempt accepted it still claims what was asked (the slot is free either way)', async () => {
    await f.backend.enqueueMany('q', [1, 2].map((payload) => ({ payload })));
    const [a] = await f.backend.claim('q', LEASE);
    const r = await f.backend.completeMany('q', [done({ ...a!, token: 999 })], { ...LEASE, count: 1, requestId: 'sup-test:9' });
    expect(r.accepted).toEqual([false]);
    expect(r.claimed.map((t) => t.payload)).toEqual([2]);
  });

  it('trims the retention set when a call crosses a trim step, however many it completes', async () => {
    await f.backend.setQueueDefaults('q', { keepCompleted: 3 });
    await f.backend.enqueueMany('q', Array.from({ length: 10 }, (_, i) => ({ payload: i })));
    const held = await f.backend.claim('q', { ...LEASE, count: 10 });
    await f.backend.completeMany('q', held.slice(0, 4).map((t) => done(t)));
    await f.backend.completeMany('q', held.slice(4).map((t) => done(t)));
    expect(await f.redis.zcard(ks.queue('q').completed)).toBe(3);
    // The trimmed tasks' keys are gone, the kept ones are those the set still lists (ties in the
    // same millisecond are ordered by id, so which 3 is not fixed).
    const kept = await f.redis.zrange(ks.queue('q').completed, '0', '-1');
    const infos = await Promise.all(held.map((t) => f.backend.get(t.id)));
    expect(infos.filter((i) => i === null)).toHaveLength(7);
    expect(infos.filter((i) => i !== null).map((i) => i!.id).sort()).toEqual([...kept].sort());
  });

  it('publishes each task’s done message, so client.wait resolves for every one', async () => {
    const ids = (await f.backend.enqueueMany('q', [1, 2, 3].map((payload) => ({ payload })))).map((r) => r.id);
    const waits = ids.map((id) => f.backend.wait(id, { timeoutMs: 5000 }));
    await new Promise((r) => setTimeout(r, 50)); // the subscriptions are made
    const held = await f.backend.claim('q', { ...LEASE, count: 3 });
    await f.backend.completeMany('q', held.map((t) => done(t)));
    expect((await Promise.all(waits)).map((t) => t.state)).toEqual(['completed', 'completed', 'completed']);
  });

  it('refuses an empty call, a task of another queue, and malformed script arguments, naming what is wrong', async () => {
    await expect(f.backend.completeMany('q', [])).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringContaining('at least one') });
    await f.backend.enqueue('other', 1);
    const [t] = await f.backend.claim('other', LEASE);
    await expect(f.backend.completeMany('q', [done(t!)])).rejects.toMatchObject({ code: 'INVALID_OPTION', message: expect.stringContaining('of queue other') });
    const ctx = createContext(f.redis, f.prefix);
    await expect(runQueueScript(ctx, 'complete-many', 'q', ['sup', 1000, 0, '', '', '', 'id-only'])).rejects.toThrow(/complete-many takes 6 arguments and 3 per attempt/);
    await expect(runQueueScript(ctx, 'complete-many', 'q', ['sup', 'x', 1, '', '', '', 'a', '1', 'null'])).rejects.toThrow(/positive leaseMs/);
    await expect(runQueueScript(ctx, 'complete-many', 'q', ['sup', 1000, 1, '', '0', '2', 'a', '1', 'null'])).rejects.toThrow(/positive idle ms and a slot count, got 0 and 2/);
  });
});
