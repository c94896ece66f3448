import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeySpace } from '../../../src/queue/redis/keys.js';
import { type Fixture, LEASE, claimOne, createFixture, sleep } from './fixture.js';

describe('RedisBackend: leases, fencing tokens and the recoverer', () => {
  let f: Fixture;
  let keys: KeySpace;
  beforeEach(() => {
    f = createFixture('lease');
    keys = new KeySpace(f.prefix);
  });
  afterEach(async () => {
    await f.cleanup();
  });

  it('recovers a task whose lease expired, counting an attempt with reason lease_lost', async () => {
    const { id } = await f.backend.enqueue('rec', 'x', { maxRetries: 3 });
    await claimOne(f.backend, 'rec', 100);
    expect(await f.backend.recover(['rec'], { lockMs: 0 })).toMatchObject({ requeued: 0, failed: 0 });
    await sleep(150);
    expect(await f.backend.recover(['rec'], { lockMs: 0 })).toMatchObject({ requeued: 1, failed: 0 });
    const info = await f.backend.get(id);
    expect(info).toMatchObject({ state: 'pending', retryCount: 1 });
    expect(info?.error?.reason).toBe('lease_lost');
    expect((await f.backend.stats('rec')).failuresByReason.lease_lost).toBe(1);
    const again = await claimOne(f.backend, 'rec');
    expect(again).toMatchObject({ id, retryCount: 1, attempts: 2 });
  });

  it('drops an unexpired active-set entry whose task is no longer active, leaving the task as it is', async () => {
    const { id } = await f.backend.enqueue('noactive', 'x');
    const t = await claimOne(f.backend, 'noactive', 60_000);
    await f.backend.complete(t, 'done');
    await f.redis.zadd(keys.queue('noactive').active, Date.now() + 60_000, id); // a stray entry
    const res = await f.backend.recover(['noactive'], { lockMs: 0 });
    expect(res).toMatchObject({ requeued: 0, failed: 0 });
    expect(await f.redis.zcard(keys.queue('noactive').active)).toBe(0);
    expect(await f.backend.get(id)).toMatchObject({ state: 'completed', result: 'done' });
  });

  it('drops an index entry left in the active set for a task that does not exist', async () => {
    await f.redis.zadd(keys.queue('orph').active, Date.now() + 60_000, 'orph:ghost');
    await f.backend.recover(['orph'], { lockMs: 0 });
    expect(await f.redis.zcard(keys.queue('orph').active)).toBe(0);
  });

  it('sends a task dead when its lease is lost with no retries left', async () => {
    const { id } = await f.backend.enqueue('rec0', 'x', { maxRetries: 0 });
    await claimOne(f.backend, 'rec0', 50);
    await sleep(80);
    expect(await f.backend.recover(['rec0'], { lockMs: 0 })).toMatchObject({ requeued: 0, failed: 1 });
    expect(await f.backend.get(id)).toMatchObject({ state: 'failed', error: { reason: 'lease_lost' } });
  });

  it('a stale complete from the old claim after recovery is rejected, counted and does not overwrite', async () => {
    const { id } = await f.backend.enqueue('stale', 'x');
    const old = await claimOne(f.backend, 'stale', 50);
    await sleep(80);
    await f.backend.recover(['stale'], { lockMs: 0 });
    const fresh = await claimOne(f.backend, 'stale');
    expect(fresh.token).toBeGreaterThan(old.token);
    expect(await f.backend.complete(old, 'old result')).toMatchObject({ accepted: false });
    expect(
      await f.backend.fail(old, { reason: 'error', error: { message: 'late', reason: 'error' }, retry: false }),
    ).toMatchObject({ accepted: false });
    expect(await f.backend.progress(old, 0.5)).toBe(false);
    expect((await f.backend.get(id))?.state).toBe('active');
    expect(await f.backend.complete(fresh, 'new result')).toMatchObject({ accepted: true });
    const info = await f.backend.get(id);
    expect(info).toMatchObject({ state: 'completed', result: 'new result' });
    expect((await f.backend.stats('stale')).totals.staleReplies).toBe(2);
  });

  it('extendLeases renews matching tokens and reports lost ones (one call, several queues)', async () => {
    await f.backend.enqueue('ext1', 'a');
    await f.backend.enqueue('ext2', 'b');
    const a = await claimOne(f.backend, 'ext1', 200);
    const b = await claimOne(f.backend, 'ext2', 200);
    const res = await f.backend.extendLeases('sup-test', [a, b], 60_000);
    expect(res.lost).toEqual([]);
    const score = Number(await f.redis.zscore(keys.queue('ext1').active, a.id));
    expect(score - Date.now()).toBeGreaterThan(50_000);
    expect((await f.backend.get(a.id))?.leaseExpiresAt).toBe(score);
    await sleep(250);
    expect((await f.backend.recover(['ext1', 'ext2'], { lockMs: 0 })).requeued).toBe(0);
    // b is recovered by force: its token no longer matches.
    await f.backend.deleteTask(b.id);
    const stale = { ...a, token: a.token - 1 };
    const lost = await f.backend.extendLeases('sup-test', [stale, b], 60_000);
    expect(lost.lost.sort()).toEqual([a.id, b.id].sort());
  });

  it('the recover lock lets one sweep run per interval', async () => {
    await f.backend.enqueue('lock', 'x');
    await claimOne(f.backend, 'lock', 50);
    const first = await f.backend.recover(['lock'], { lockMs: 300 });
    expect(first.swept).toEqual(['lock']);
    await sleep(80);
    const second = await f.backend.recover(['lock'], { lockMs: 300 });
    expect(second).toMatchObject({ swept: [], requeued: 0 });
    await sleep(300);
    expect(await f.backend.recover(['lock'], { lockMs: 300 })).toMatchObject({ swept: ['lock'], requeued: 1 });
  });

  it('progress and partial are stored on the task while the token matches', async () => {
    const { id } = await f.backend.enqueue('prog', 'x');
    const t = await claimOne(f.backend, 'prog');
    expect(await f.backend.progress(t, 0.25, 'loading')).toBe(true);
    expect(await f.backend.partial(t, { token: 'hel' })).toBe(true);
    expect(await f.backend.get(id)).toMatchObject({
      progress: { progress: 0.25, message: 'loading' },
      partial: { token: 'hel' },
    });
    expect(await f.redis.xlen(keys.task(id)!.events)).toBe(2);
  });
});
