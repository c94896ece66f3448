import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeySpace } from '../../../src/queue/redis/keys.js';
import { type Fixture, LEASE, claimOne, createFixture } from './fixture.js';

describe('RedisBackend: idempotency, cancel and delete', () => {
  let f: Fixture;
  beforeEach(() => {
    f = createFixture('cancel');
  });
  afterEach(async () => {
    await f.cleanup();
  });

  it('the same idempotency key returns the same id while the task is kept, even after completion', async () => {
    const a = await f.backend.enqueue('idem', { n: 1 }, { idempotencyKey: 'order-42' });
    const b = await f.backend.enqueue('idem', { n: 2 }, { idempotencyKey: 'order-42' });
    expect(a.created).toBe(true);
    expect(b).toEqual({ id: a.id, created: false });
    expect((await f.backend.stats('idem')).counts.pending).toBe(1);
    const t = await claimOne(f.backend, 'idem');
    await f.backend.complete(t, 'ok');
    const c = await f.backend.enqueue('idem', { n: 3 }, { idempotencyKey: 'order-42' });
    expect(c).toEqual({ id: a.id, created: false });
    expect((await f.backend.get(a.id))?.options.idempotencyKey).toBe('order-42');
  });

  it('cancelling a pending task releases its idempotency key', async () => {
    const a = await f.backend.enqueue('idem2', 1, { idempotencyKey: 'k' });
    expect(await f.backend.cancel(a.id)).toEqual({ state: 'cancelled' });
    const info = await f.backend.get(a.id);
    expect(info).toMatchObject({ state: 'cancelled' });
    expect(info?.error?.reason).toBe('cancelled');
    const b = await f.backend.enqueue('idem2', 2, { idempotencyKey: 'k' });
    expect(b.created).toBe(true);
    expect(b.id).not.toBe(a.id);
  });

  it('the idempotency key is released when the task expires (result TTL)', async () => {
    const a = await f.backend.enqueue('idem3', 1, { idempotencyKey: 'k', resultTtlMs: 150 });
    await f.backend.complete(await claimOne(f.backend, 'idem3'), 'done');
    expect((await f.backend.enqueue('idem3', 2, { idempotencyKey: 'k' })).created).toBe(false);
    await new Promise((r) => setTimeout(r, 250));
    const b = await f.backend.enqueue('idem3', 2, { idempotencyKey: 'k' });
    expect(b.created).toBe(true);
    expect(b.id).not.toBe(a.id);
  });

  it('cancels a scheduled task at once and it is never claimed', async () => {
    const { id } = await f.backend.enqueue('sched', 1, { delayMs: 50 });
    expect(await f.backend.cancel(id)).toEqual({ state: 'cancelled' });
    await new Promise((r) => setTimeout(r, 80));
    expect(await f.backend.claim('sched', LEASE)).toEqual([]);
    expect((await f.backend.stats('sched')).counts).toMatchObject({ scheduled: 0, cancelled: 1 });
  });

  it('cancelling an active task requests it, notifies onCancel, and the failure ends cancelled', async () => {
    const { id } = await f.backend.enqueue('act', 1, { maxRetries: 5 });
    const t = await claimOne(f.backend, 'act');
    const seen: string[] = [];
    let notified!: () => void;
    const got = new Promise<void>((resolve) => (notified = resolve));
    const off = await f.backend.onCancel(['act', 'other'], (taskId) => {
      seen.push(taskId);
      notified();
    });
    expect(await f.backend.cancel(id)).toEqual({ state: 'active' });
    await got;
    expect(seen).toEqual([id]);
    const info = await f.backend.get(id);
    expect(info).toMatchObject({ state: 'active', cancelRequested: true });
    // The heartbeat also reports it (backstop for a missed message).
    expect(await f.backend.extendLeases('sup-test', [t], 30_000)).toEqual({ lost: [], cancelRequested: [id] });
    // Even a retryable failure ends 'cancelled' once a cancel was requested.
    const res = await f.backend.fail(t, {
      reason: 'error',
      error: { message: 'stopped', reason: 'error' },
      retry: true,
    });
    expect(res).toMatchObject({ accepted: true, state: 'cancelled' });
    expect((await f.backend.get(id))?.state).toBe('cancelled');
    await off();
    await f.backend.enqueue('act', 2);
    const t2 = await claimOne(f.backend, 'act');
    await f.backend.cancel(t2.id);
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toEqual([id]); // unsubscribed
  });

  it('requeue on shutdown of a task whose cancel was requested ends it cancelled', async () => {
    const { id } = await f.backend.enqueue('rq', 1);
    const t = await claimOne(f.backend, 'rq');
    await f.backend.cancel(id);
    expect(await f.backend.requeue([t])).toBe(0);
    expect(await f.backend.get(id)).toMatchObject({ state: 'cancelled', error: { reason: 'cancelled' } });
    expect(await f.backend.claim('rq', LEASE)).toEqual([]);
  });

  it('cancel of a finished task changes nothing; cancel of an unknown id returns null', async () => {
    const { id } = await f.backend.enqueue('fin', 1);
    await f.backend.complete(await claimOne(f.backend, 'fin'), 'r');
    expect(await f.backend.cancel(id)).toEqual({ state: 'completed' });
    expect(await f.backend.cancel('fin:nope')).toBeNull();
    expect(await f.backend.cancel('not-an-id')).toBeNull();
  });

  it('deleteTask removes a task in any state with its keys and releases its idempotency key', async () => {
    const { id } = await f.backend.enqueue('del', 1, { idempotencyKey: 'dk' });
    await claimOne(f.backend, 'del');
    expect(await f.backend.deleteTask(id)).toBe(true);
    expect(await f.backend.get(id)).toBeNull();
    expect(await f.backend.deleteTask(id)).toBe(false);
    expect((await f.backend.stats('del')).counts.active).toBe(0);
    expect((await f.backend.enqueue('del', 2, { idempotencyKey: 'dk' })).created).toBe(true);
    const k = new KeySpace(f.prefix).task(id)!;
    expect(await f.redis.exists(k.hash, k.events)).toBe(0);
  });
});
