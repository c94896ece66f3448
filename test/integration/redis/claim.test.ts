import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeySpace } from '../../../src/queue/redis/keys.js';
import { type Fixture, LEASE, claimOne, createFixture, sleep } from './fixture.js';

describe('RedisBackend: enqueue and claim', () => {
  let f: Fixture;
  beforeEach(() => {
    f = createFixture('claim');
  });
  afterEach(async () => {
    await f.cleanup();
  });

  it('enqueues a pending task with an id that embeds the queue, and get() shows it', async () => {
    const { id, created } = await f.backend.enqueue('emails', { to: 'a@b.c' }, { type: 'send', meta: { k: 1 } });
    expect(created).toBe(true);
    expect(id.startsWith('emails:')).toBe(true);
    const info = await f.backend.get(id);
    expect(info).toMatchObject({ id, queue: 'emails', state: 'pending', payload: { to: 'a@b.c' }, type: 'send' });
    expect(info?.options).toMatchObject({ priority: 0, maxRetries: 3, timeoutMs: 0, meta: { k: 1 } });
    expect(info?.options.backoff).toEqual({ type: 'exponential', baseMs: 1000, maxMs: 600000, jitter: true });
  });

  it('never hands the same task to two concurrent claimers', async () => {
    const n = 200;
    await f.backend.enqueueMany('race', Array.from({ length: n }, (_, i) => ({ payload: i })));
    const claimers = Array.from({ length: 50 }, (_, i) =>
      f.backend.claim('race', { supervisorId: `s${i}`, leaseMs: 30_000, count: 3 }),
    );
    const results = (await Promise.all(claimers)).flat();
    // 50 * 3 = 150 claimed in this round; drain the rest in a second parallel round.
    const rest = (
      await Promise.all(Array.from({ length: 30 }, () => f.backend.claim('race', { ...LEASE, count: 5 })))
    ).flat();
    const ids = [...results, ...rest].map((t) => t.id);
    expect(ids).toHaveLength(n);
    expect(new Set(ids).size).toBe(n);
    const tokens = [...results, ...rest].map((t) => t.token);
    expect(new Set(tokens).size).toBe(n);
    expect((await f.backend.stats('race')).counts).toMatchObject({ pending: 0, active: n });
  });

  it('claims higher priority first and FIFO within a priority', async () => {
    const order: [string, number][] = [
      ['low-1', -5],
      ['mid-1', 0],
      ['high-1', 10],
      ['mid-2', 0],
      ['high-2', 10],
      ['low-2', -5],
      ['mid-3', 0],
    ];
    for (const [name, priority] of order) await f.backend.enqueue('prio', name, { priority });
    const claimed = await f.backend.claim('prio', { ...LEASE, count: 10 });
    expect(claimed.map((t) => t.payload)).toEqual(['high-1', 'high-2', 'mid-1', 'mid-2', 'mid-3', 'low-1', 'low-2']);
  });

  it('keeps priority-0 tasks in a list and the others in bands: order, front requeue, cancel and counts across both', async () => {
    const order: [string, number][] = [
      ['mid-1', 0],
      ['low-1', -1],
      ['mid-2', 0],
      ['high-1', 3],
      ['mid-3', 0],
      ['mid-4', 0],
    ];
    const ids = new Map<string, string>();
    for (const [name, priority] of order) ids.set(name, (await f.backend.enqueue('two', name, { priority })).id);
    const q = new KeySpace(f.prefix).queue('two');
    expect(await f.redis.lrange(q.pendingList, 0, -1)).toEqual(['mid-1', 'mid-2', 'mid-3', 'mid-4'].map((n) => ids.get(n)!.slice('two:'.length)));
    expect(await f.redis.zcard(q.pending)).toBe(2);
    expect((await f.backend.stats('two')).counts.pending).toBe(6);

    expect(await f.backend.cancel(ids.get('mid-3')!)).toEqual({ state: 'cancelled' });
    expect(await f.redis.llen(q.pendingList)).toBe(3);
    const [high, mid1] = await f.backend.claim('two', { ...LEASE, count: 2 });
    expect([high!.payload, mid1!.payload]).toEqual(['high-1', 'mid-1']);
    expect(await f.backend.requeue([mid1!])).toBe(1); // back at the front of priority 0
    const rest = await f.backend.claim('two', { ...LEASE, count: 10 });
    expect(rest.map((t) => t.payload)).toEqual(['mid-1', 'mid-2', 'mid-4', 'low-1']);
    expect((await f.backend.stats('two')).counts).toMatchObject({ pending: 0, active: 5, cancelled: 1 });
  });

  it('rejects a priority outside [-1000, 1000] with INVALID_OPTION naming the option', async () => {
    await expect(f.backend.enqueue('prio', 1, { priority: 1001 })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
      message: expect.stringContaining('priority'),
    });
    await expect(f.backend.enqueue('bad queue', 1)).rejects.toMatchObject({ code: 'INVALID_OPTION' });
  });

  it('keeps a delayed task scheduled until it is due, then claim promotes it', async () => {
    const { id } = await f.backend.enqueue('later', 'x', { delayMs: 300 });
    expect((await f.backend.get(id))?.state).toBe('scheduled');
    expect(await f.backend.claim('later', LEASE)).toEqual([]);
    await sleep(350);
    const [task] = await f.backend.claim('later', LEASE);
    expect(task?.id).toBe(id);
    expect((await f.backend.get(id))?.state).toBe('active');
  });

  it('honours runAt (epoch ms) and runs a past runAt immediately', async () => {
    const { id: past } = await f.backend.enqueue('at', 'past', { runAt: Date.now() - 1000 });
    const { id: future } = await f.backend.enqueue('at', 'future', { runAt: Date.now() + 60_000 });
    expect((await f.backend.get(past))?.state).toBe('pending');
    expect((await f.backend.get(future))?.state).toBe('scheduled');
  });

  it('returns the claimed task with token, lease, deadline and handler context', async () => {
    await f.backend.enqueue('ctx', { a: 1 }, { timeoutMs: 5000, maxRetries: 7, type: 't', meta: { m: true } });
    const t = await claimOne(f.backend, 'ctx', 10_000);
    expect(t).toMatchObject({ queue: 'ctx', payload: { a: 1 }, type: 't', retryCount: 0, maxRetry: 7, timeoutMs: 5000 });
    expect(t.meta).toEqual({ m: true });
    expect(t.token).toBeGreaterThan(0);
    expect(t.leaseExpiresAt - t.startedAt).toBe(10_000);
    expect(t.deadlineMs).toBe(t.startedAt + 5000);
    expect(Math.abs(t.startedAt - Date.now())).toBeLessThan(5000);
  });

  it('complete with claimNext stores the result and returns the next task in one call', async () => {
    await f.backend.enqueueMany('chain', [{ payload: 1 }, { payload: 2 }]);
    const first = await claimOne(f.backend, 'chain');
    const { accepted, next } = await f.backend.complete(first, { doubled: 2 }, LEASE);
    expect(accepted).toBe(true);
    expect(next?.payload).toBe(2);
    expect(next!.token).toBeGreaterThan(first.token);
    const done = await f.backend.get(first.id);
    expect(done).toMatchObject({ state: 'completed', result: { doubled: 2 } });
    expect((await f.backend.get(next!.id))?.state).toBe('active');
    const last = await f.backend.complete(next!, null, LEASE);
    expect(last).toMatchObject({ accepted: true, next: null });
  });

  it('requeue on shutdown puts tasks back at the front without counting an attempt', async () => {
    await f.backend.enqueueMany('shutdown', [{ payload: 'a' }, { payload: 'b' }, { payload: 'c' }]);
    const [a] = await f.backend.claim('shutdown', LEASE);
    expect(await f.backend.requeue([a!])).toBe(1);
    const info = await f.backend.get(a!.id);
    expect(info).toMatchObject({ state: 'pending', attempts: 0, retryCount: 0 });
    const [again] = await f.backend.claim('shutdown', LEASE);
    expect(again?.id).toBe(a!.id);
    expect(again?.attempts).toBe(1);
    // A stale token is not requeued.
    expect(await f.backend.requeue([a!])).toBe(0);
  });

  it('enqueueMany dedupes by caller id and reports created per item', async () => {
    const res = await f.backend.enqueueMany('many', [
      { payload: 1, options: { id: 'fixed' } },
      { payload: 2, options: { id: 'fixed' } },
      { payload: 3 },
    ]);
    expect(res.map((r) => r.created)).toEqual([true, false, true]);
    expect(res[0]!.id).toBe('many:fixed');
    expect(res[1]!.id).toBe('many:fixed');
    expect((await f.backend.get('many:fixed'))?.payload).toBe(1);
  });
});
