import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeySpace } from '../../../src/queue/redis/keys.js';
import type { TaskError } from '../../../src/queue/task.js';
import { type Fixture, LEASE, claimOne, createFixture, sleep } from './fixture.js';

const boom = (message = 'boom'): TaskError => ({ message, type: 'Boom', reason: 'error' });

describe('RedisBackend: failures, retries and the dead set', () => {
  let f: Fixture;
  beforeEach(() => {
    f = createFixture('retry');
  });
  afterEach(async () => {
    await f.cleanup();
  });

  it('retries after retryAfterMs and counts the failed attempt', async () => {
    const { id } = await f.backend.enqueue('r', 'x', { maxRetries: 2 });
    const t1 = await claimOne(f.backend, 'r');
    const res = await f.backend.fail(t1, { reason: 'error', error: boom(), retry: true, retryAfterMs: 250 });
    expect(res).toMatchObject({ accepted: true, state: 'scheduled' });
    expect(res.runAt! - t1.startedAt).toBeGreaterThanOrEqual(250);
    const info = await f.backend.get(id);
    expect(info).toMatchObject({ state: 'scheduled', retryCount: 1 });
    expect(info?.error).toMatchObject({ message: 'boom', type: 'Boom', reason: 'error' });
    expect(await f.backend.claim('r', LEASE)).toEqual([]);
    await sleep(300);
    const t2 = await claimOne(f.backend, 'r');
    expect(t2).toMatchObject({ id, retryCount: 1, attempts: 2 });
    expect(t2.token).toBeGreaterThan(t1.token);
  });

  it('uses the task backoff (fixed, no jitter) when no retryAfterMs is given', async () => {
    await f.backend.enqueue('b', 'x', { backoff: { type: 'fixed', baseMs: 400, jitter: false } });
    const t = await claimOne(f.backend, 'b');
    const res = await f.backend.fail(t, { reason: 'timeout', error: boom(), retry: true });
    expect(res.runAt! - t.startedAt).toBeGreaterThanOrEqual(400);
    expect(res.runAt! - t.startedAt).toBeLessThan(400 + 1000);
  });

  it('exponential backoff doubles per failed attempt and is capped; full jitter stays below it', async () => {
    // Seconds, not milliseconds: a claim-to-fail gap on a loaded machine must not blur the steps.
    await f.backend.enqueue('exp', 'x', { maxRetries: 5, backoff: { baseMs: 1000, maxMs: 3500, jitter: false } });
    const scheduled = new KeySpace(f.prefix).queue('exp').scheduled;
    const delays: number[] = [];
    for (let i = 0; i < 3; i++) {
      // Make the retry due now instead of sleeping through the backoff.
      for (const id of await f.redis.zrange(scheduled, '0', '-1')) await f.redis.zadd(scheduled, 0, id);
      const task = await claimOne(f.backend, 'exp');
      const res = await f.backend.fail(task, { reason: 'error', error: boom(), retry: true });
      delays.push(res.runAt! - task.startedAt);
    }
    expect(delays[0]).toBeGreaterThanOrEqual(1000);
    expect(delays[0]).toBeLessThan(2000);
    expect(delays[1]).toBeGreaterThanOrEqual(2000);
    expect(delays[1]).toBeLessThan(3000);
    expect(delays[2]).toBeGreaterThanOrEqual(3500); // 4000 capped at 3500
    expect(delays[2]).toBeLessThan(4500);

    await f.backend.enqueue('jit', 'x', { backoff: { baseMs: 10_000 } });
    const j = await claimOne(f.backend, 'jit');
    const jr = await f.backend.fail(j, { reason: 'error', error: boom(), retry: true });
    expect(jr.runAt! - j.startedAt).toBeLessThanOrEqual(10_000);
  });

  it('goes dead after max retries; retryDead revives it with a fresh budget; purgeDead deletes', async () => {
    const { id } = await f.backend.enqueue('dead', 'x', { maxRetries: 1 });
    const t1 = await claimOne(f.backend, 'dead');
    expect((await f.backend.fail(t1, { reason: 'error', error: boom('one'), retry: true, retryAfterMs: 0 })).state).toBe(
      'scheduled',
    );
    const t2 = await claimOne(f.backend, 'dead');
    const res = await f.backend.fail(t2, { reason: 'handler_crash', error: boom('two'), retry: true, retryAfterMs: 0 });
    expect(res).toMatchObject({ accepted: true, state: 'failed' });
    const dead = await f.backend.get(id);
    expect(dead).toMatchObject({ state: 'failed', retryCount: 2, attempts: 2 });
    expect(dead?.error).toMatchObject({ message: 'two', reason: 'handler_crash' });
    expect(dead?.expiresAt! - dead?.finishedAt!).toBe(7 * 24 * 3600_000);
    const listed = await f.backend.listDead('dead', { offset: 0, limit: 10 });
    expect(listed.map((t) => t.id)).toEqual([id]);
    const stats = await f.backend.stats('dead');
    expect(stats.counts.failed).toBe(1);
    expect(stats.totals.failed).toBe(1);
    expect(stats.failuresByReason).toMatchObject({ error: 1, handler_crash: 1 });

    expect(await f.backend.retryDead('dead')).toBe(1);
    expect(await f.backend.get(id)).toMatchObject({ state: 'pending', retryCount: 0 });
    expect(await f.backend.listDead('dead', {})).toEqual([]);

    const t3 = await claimOne(f.backend, 'dead');
    await f.backend.fail(t3, { reason: 'error', error: boom(), retry: false });
    expect((await f.backend.get(id))?.state).toBe('failed');
    expect(await f.backend.purgeDead('dead')).toBe(1);
    expect(await f.backend.get(id)).toBeNull();
    expect((await f.backend.stats('dead')).counts.failed).toBe(0);
  });

  it('a permanent error (retry: false) goes dead at once even with retries left', async () => {
    const { id } = await f.backend.enqueue('perm', 'x', { maxRetries: 5 });
    const t = await claimOne(f.backend, 'perm');
    expect((await f.backend.fail(t, { reason: 'error', error: boom(), retry: false })).state).toBe('failed');
    expect((await f.backend.get(id))?.retryCount).toBe(1);
  });

  it('retryDead with explicit ids moves only those', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { id } = await f.backend.enqueue('some', i, { maxRetries: 0 });
      ids.push(id);
      const t = await claimOne(f.backend, 'some');
      await f.backend.fail(t, { reason: 'error', error: boom(), retry: true });
    }
    expect(await f.backend.retryDead('some', [ids[1]!, 'some:unknown'])).toBe(1);
    expect((await f.backend.get(ids[1]!))?.state).toBe('pending');
    expect((await f.backend.get(ids[0]!))?.state).toBe('failed');
  });

  it('uses per-queue defaults stored in Redis for tasks enqueued afterwards', async () => {
    await f.backend.setQueueDefaults('qd', { maxRetries: 0, timeoutMs: 1234, backoff: { type: 'fixed', baseMs: 5 } });
    expect(await f.backend.getQueueDefaults('qd')).toMatchObject({ maxRetries: 0, timeoutMs: 1234 });
    const { id } = await f.backend.enqueue('qd', 'x');
    const info = await f.backend.get(id);
    expect(info?.options).toMatchObject({ maxRetries: 0, timeoutMs: 1234, backoff: { type: 'fixed', baseMs: 5 } });
    const t = await claimOne(f.backend, 'qd');
    expect(t.timeoutMs).toBe(1234);
    expect((await f.backend.fail(t, { reason: 'timeout', error: boom(), retry: true })).state).toBe('failed');
    await expect(f.backend.setQueueDefaults('qd', { keepFailed: -1 })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
      message: expect.stringMatching(/keepFailed.*-1/),
    });
  });

  it('a new attempt starts without the progress and partial output of the one before', async () => {
    const { id } = await f.backend.enqueue('rp', 'x', { maxRetries: 1 });
    const t1 = await claimOne(f.backend, 'rp');
    await f.backend.progress(t1, 0.5, 'half');
    await f.backend.partial(t1, 'so far');
    expect(await f.backend.get(id)).toMatchObject({ progress: { progress: 0.5, message: 'half' }, partial: 'so far' });
    await f.backend.fail(t1, { reason: 'error', error: boom(), retry: true, retryAfterMs: 0 });
    const t2 = await claimOne(f.backend, 'rp');
    expect(t2.attempts).toBe(2);
    const info = await f.backend.get(id);
    expect(info?.progress).toBeUndefined();
    expect(info?.partial).toBeUndefined();
  });
});
