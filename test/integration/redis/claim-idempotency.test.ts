/**
 * Re-sent commands (ioredis re-sends an EVALSHA whose reply was lost to a dropped connection):
 * a claim with a requestId returns the first run's tasks again, and a complete / fail of an
 * attempt that already finished with the same token is accepted again without counting twice.
 */
import net from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RedisBackend } from '../../../src/queue/redis/backend.js';
import type { ClaimedTask } from '../../../src/queue/redis/claimed-task.js';
import { createContext, runQueueScript } from '../../../src/queue/redis/context.js';
import { KeySpace } from '../../../src/queue/redis/keys.js';
import type { TaskError } from '../../../src/queue/task.js';
import { REDIS_URL } from '../../helpers/redis.js';
import { type Fixture, LEASE, claimOne, createFixture } from './fixture.js';

const boom: TaskError = { message: 'boom', type: 'Boom', reason: 'error' };

describe('RedisBackend: idempotent claim, complete and fail (re-sent commands)', () => {
  let f: Fixture;
  let ks: KeySpace;
  beforeEach(() => {
    f = createFixture('claimreq');
    ks = new KeySpace(f.prefix);
  });
  afterEach(async () => {
    await f.cleanup();
  });

  const tokenCounter = async (queue: string): Promise<number> =>
    Number(await f.redis.hget(ks.queue(queue).counters, 'token'));
  const pick = (tasks: ClaimedTask[]): { id: string; token: number }[] => tasks.map((t) => ({ id: t.id, token: t.token }));

  it('a claim run twice with the same requestId returns the same tasks and tokens and leases nothing more', async () => {
    await f.backend.enqueueMany('q', [1, 2, 3, 4, 5].map((payload) => ({ payload })));
    const opts = { ...LEASE, count: 2, requestId: 'sup-test:1' };
    const first = await f.backend.claim('q', opts);
    const second = await f.backend.claim('q', opts);
    expect(first.map((t) => t.payload)).toEqual([1, 2]);
    expect(second).toEqual(first); // same ids, tokens, payloads, startedAt, lease expiry, attempts
    expect(second.map((t) => t.attempts)).toEqual([1, 1]);
    expect(await tokenCounter('q')).toBe(2); // one claim of two tasks: two tokens, not four
    expect((await f.backend.stats('q')).counts).toMatchObject({ pending: 3, active: 2 });
    for (const t of first) expect(await f.backend.get(t.id)).toMatchObject({ state: 'active', attempts: 1, token: t.token });
    // The record lives as long as the lease.
    const pttl = await f.redis.pttl(`${ks.queue('q').claimReqPrefix}sup-test:1`);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(LEASE.leaseMs);
    // A new requestId (and no requestId) claims the next tasks.
    expect((await f.backend.claim('q', { ...opts, requestId: 'sup-test:2' })).map((t) => t.payload)).toEqual([3, 4]);
    expect((await f.backend.claim('q', LEASE)).map((t) => t.payload)).toEqual([5]);
  });

  it('without requestId a second claim leases more tasks (behaviour unchanged)', async () => {
    await f.backend.enqueueMany('q', [1, 2].map((payload) => ({ payload })));
    const a = await f.backend.claim('q', LEASE);
    const b = await f.backend.claim('q', LEASE);
    expect(a.map((t) => t.payload)).toEqual([1]);
    expect(b.map((t) => t.payload)).toEqual([2]);
    const [, records] = await f.redis.scan('0', 'MATCH', `${ks.queue('q').claimReqPrefix}*`, 'COUNT', 10_000);
    expect(records).toEqual([]);
  });

  it('an empty claim records nothing: the same requestId later claims tasks that arrived meanwhile', async () => {
    const opts = { ...LEASE, requestId: 'idle-1' };
    expect(await f.backend.claim('q', opts)).toEqual([]);
    expect(await f.redis.exists(`${ks.queue('q').claimReqPrefix}idle-1`)).toBe(0);
    await f.backend.enqueue('q', 'late');
    const got = await f.backend.claim('q', opts);
    expect(got.map((t) => t.payload)).toEqual(['late']);
    expect(await f.backend.claim('q', opts)).toEqual(got);
  });

  it('a replay leaves out a claimed task that was recovered meanwhile', async () => {
    await f.backend.enqueueMany('q', [1, 2].map((payload) => ({ payload, options: { maxRetries: 1 } })));
    const opts = { ...LEASE, count: 2, requestId: 'r-recovered' };
    const [lost, kept] = await f.backend.claim('q', opts);
    // The lease of the first task runs out (the record of the claim is still there).
    const q = ks.queue('q');
    await f.redis.zadd(q.active, 1, lost!.id);
    expect(await f.backend.recover(['q'], { lockMs: 0 })).toMatchObject({ requeued: 1 });
    expect(await f.backend.get(lost!.id)).toMatchObject({ state: 'pending', retryCount: 1 });
    const replay = await f.backend.claim('q', opts);
    expect(pick(replay)).toEqual(pick([kept!]));
    expect(await f.backend.get(lost!.id)).toMatchObject({ state: 'pending' }); // not claimed again
    // Once the recovered task is claimed again under a new token, the replay still leaves it out.
    const again = await claimOne(f.backend, 'q');
    expect(again.id).toBe(lost!.id);
    expect(pick(await f.backend.claim('q', opts))).toEqual(pick([kept!]));
    // Finished tasks are left out too.
    await f.backend.complete(kept!, 'ok');
    expect(await f.backend.claim('q', opts)).toEqual([]);
  });

  it('complete with claimNext run twice completes once and returns the same next task', async () => {
    await f.backend.enqueueMany('q', [1, 2, 3].map((payload) => ({ payload })));
    const t = await claimOne(f.backend, 'q');
    const next = { ...LEASE, requestId: 'sup-test:next-1' };
    const r1 = await f.backend.complete(t, { ok: 1 }, next);
    const r2 = await f.backend.complete(t, { ok: 1 }, next);
    expect(r1.accepted).toBe(true);
    expect(r2.accepted).toBe(true);
    expect(r1.next?.payload).toBe(2);
    expect(r2.next).toEqual(r1.next);
    expect(r2.claimed).toEqual(r1.claimed);
    const stats = await f.backend.stats('q');
    expect(stats.counts).toMatchObject({ pending: 1, active: 1, completed: 1 });
    expect(stats.totals).toMatchObject({ completed: 1, staleReplies: 0 });
    expect(await tokenCounter('q')).toBe(2);
  });

  it('complete re-run after it succeeded is accepted and counted once', async () => {
    const { id } = await f.backend.enqueue('q', 'x');
    const t = await claimOne(f.backend, 'q');
    expect((await f.backend.complete(t, 'done')).accepted).toBe(true);
    const before = await f.redis.hgetall(ks.queue('q').throughput);
    expect((await f.backend.complete(t, 'done')).accepted).toBe(true);
    const stats = await f.backend.stats('q');
    expect(stats.totals).toMatchObject({ completed: 1, staleReplies: 0 });
    expect(await f.redis.hgetall(ks.queue('q').throughput)).toEqual(before);
    expect(await f.backend.get(id)).toMatchObject({ state: 'completed', result: 'done' });
    // A reply of another attempt (another token) is still stale.
    expect((await f.backend.complete({ ...t, token: t.token + 100 }, 'other')).accepted).toBe(false);
    expect((await f.backend.stats('q')).totals.staleReplies).toBe(1);
    // And a fail of the attempt that completed is not a replay.
    expect((await f.backend.fail(t, { reason: 'error', error: boom, retry: false })).accepted).toBe(false);
    expect(await f.backend.get(id)).toMatchObject({ state: 'completed', result: 'done' });
  });

  it('a complete after the lease was lost (recovered) is still rejected as stale', async () => {
    await f.backend.enqueue('q', 'x', { maxRetries: 1 });
    const t = await claimOne(f.backend, 'q');
    await f.redis.zadd(ks.queue('q').active, 1, t.id);
    await f.backend.recover(['q'], { lockMs: 0 });
    expect((await f.backend.complete(t, 'late')).accepted).toBe(false);
    expect((await f.backend.fail(t, { reason: 'error', error: boom, retry: true })).accepted).toBe(false);
    expect((await f.backend.stats('q')).totals).toMatchObject({ completed: 0, staleReplies: 2 });
  });

  it('fail re-run for a retried attempt answers the same state and run-at and counts once', async () => {
    const { id } = await f.backend.enqueue('q', 'x', { maxRetries: 3 });
    const t = await claimOne(f.backend, 'q');
    const input = { reason: 'error' as const, error: boom, retry: true, retryAfterMs: 0 };
    const r1 = await f.backend.fail(t, input);
    expect(r1).toMatchObject({ accepted: true, state: 'scheduled' });
    const r2 = await f.backend.fail(t, input);
    expect(r2).toEqual(r1);
    let stats = await f.backend.stats('q');
    expect(stats.totals).toMatchObject({ retried: 1, staleReplies: 0 });
    expect(stats.failuresByReason.error).toBe(1);
    expect(await f.backend.get(id)).toMatchObject({ retryCount: 1 });
    // Still the same answer once the retry is running under a new token.
    const t2 = await claimOne(f.backend, 'q');
    expect(t2.id).toBe(id);
    expect(await f.backend.fail(t, input)).toEqual(r1);
    expect(await f.backend.get(id)).toMatchObject({ state: 'active', token: t2.token, retryCount: 1 });
    stats = await f.backend.stats('q');
    expect(stats.totals).toMatchObject({ retried: 1, staleReplies: 0 });
  });

  it('fail re-run for a dead attempt answers failed again and counts once', async () => {
    const { id } = await f.backend.enqueue('q', 'x', { maxRetries: 0 });
    const t = await claimOne(f.backend, 'q');
    const input = { reason: 'error' as const, error: boom, retry: true };
    expect(await f.backend.fail(t, input)).toEqual({ accepted: true, state: 'failed' });
    expect(await f.backend.fail(t, input)).toEqual({ accepted: true, state: 'failed' });
    const stats = await f.backend.stats('q');
    expect(stats.totals).toMatchObject({ failed: 1, staleReplies: 0 });
    expect(stats.failuresByReason.error).toBe(1);
    expect(await f.backend.get(id)).toMatchObject({ state: 'failed', retryCount: 1 });
    // A complete of the attempt that failed is not a replay.
    expect((await f.backend.complete(t, 'late')).accepted).toBe(false);
    expect(await f.backend.get(id)).toMatchObject({ state: 'failed' });
  });

  it('fail re-run for a cancelled attempt answers cancelled again', async () => {
    await f.backend.enqueue('q', 'x');
    const t = await claimOne(f.backend, 'q');
    const input = { reason: 'cancelled' as const, error: { message: 'stop', reason: 'cancelled' as const }, retry: false };
    expect(await f.backend.fail(t, input)).toEqual({ accepted: true, state: 'cancelled' });
    expect(await f.backend.fail(t, input)).toEqual({ accepted: true, state: 'cancelled' });
    expect((await f.backend.stats('q')).totals).toMatchObject({ cancelled: 1, staleReplies: 0 });
  });

  it('rejects a bad requestId with INVALID_OPTION naming the option, before anything changes', async () => {
    const { id } = await f.backend.enqueue('q', 'x');
    for (const bad of ['', 'x'.repeat(129), 'a b', '{q}', 'é', 'a\n', 5]) {
      await expect(f.backend.claim('q', { ...LEASE, requestId: bad as string }), JSON.stringify(bad)).rejects.toMatchObject({
        code: 'INVALID_OPTION',
        message: expect.stringMatching(/^requestId: expected 1-128 characters/),
      });
    }
    expect(await f.backend.get(id)).toMatchObject({ state: 'pending' });
    const t = await claimOne(f.backend, 'q');
    await expect(f.backend.complete(t, 'r', { ...LEASE, requestId: 'a b' })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
      message: expect.stringMatching(/^requestId: /),
    });
    expect(await f.backend.get(id)).toMatchObject({ state: 'active' });
    // The longest id and every allowed character are accepted.
    await f.backend.enqueue('q', 'y');
    expect(await f.backend.claim('q', { ...LEASE, requestId: 'x'.repeat(128) })).toHaveLength(1);
    expect(await f.backend.claim('q', { ...LEASE, requestId: 'Az09_.:@+/=-' })).toEqual([]);
  });

  it('the scripts check the requestId too (a caller that bypasses TypeScript)', async () => {
    const ctx = createContext(f.redis, f.prefix);
    await f.backend.enqueue('q', 'x');
    await expect(runQueueScript(ctx, 'claim', 'q', ['s', 1000, 1, 'a b'])).rejects.toThrow(/DROVER_BAD_ARG requestId/);
    await expect(runQueueScript(ctx, 'claim', 'q', ['s', 1000, 1, 'x'.repeat(129)])).rejects.toThrow(/DROVER_BAD_ARG requestId/);
    expect((await f.backend.stats('q')).counts).toMatchObject({ pending: 1, active: 0 });
  });

  it('a requestId recorded by another supervisor is refused by claim', async () => {
    await f.backend.enqueueMany('q', [1, 2, 3].map((payload) => ({ payload })));
    await f.backend.claim('q', { supervisorId: 'A', leaseMs: 30_000, requestId: 'shared' });
    await expect(f.backend.claim('q', { supervisorId: 'B', leaseMs: 30_000, requestId: 'shared' })).rejects.toMatchObject({
      code: 'INVALID_OPTION',
      message: expect.stringContaining('requestId shared was already used by supervisor A'),
    });
    expect((await f.backend.stats('q')).counts).toMatchObject({ pending: 2, active: 1 });
  });

  it('an accepted completion records its claim on the finished task: a replay answers from it, even with another supervisor\'s old requestId', async () => {
    await f.backend.enqueueMany('q', [1, 2, 3].map((payload) => ({ payload })));
    await f.backend.claim('q', { supervisorId: 'A', leaseMs: 30_000, requestId: 'shared' });
    const [t] = await f.backend.claim('q', { supervisorId: 'B', leaseMs: 30_000 });
    const next = { supervisorId: 'B', leaseMs: 30_000, requestId: 'shared' };
    const first = await f.backend.complete(t!, 'r', next);
    const again = await f.backend.complete(t!, 'r', next);
    expect(first.accepted && again.accepted).toBe(true);
    expect(first.claimed).toHaveLength(1);
    expect(again.claimed.map((n) => [n.id, n.token])).toEqual(first.claimed.map((n) => [n.id, n.token]));
    expect(await f.backend.get(t!.id)).toMatchObject({ state: 'completed', result: 'r' });
    expect((await f.backend.stats('q')).counts).toMatchObject({ pending: 0, active: 2, completed: 1 });
  });

  /**
   * A backend whose connection goes through a TCP proxy that, once armed, drops the next reply
   * from Redis and resets the connection: ioredis reconnects and re-sends the command.
   */
  async function lossyBackend(): Promise<{ backend: RedisBackend; dropNextReply(): void; dropped(): boolean; close(): Promise<void> }> {
    const target = new URL(REDIS_URL);
    let armed = false;
    let drops = 0;
    const sockets = new Set<net.Socket>();
    const proxy = net.createServer((client) => {
      const up = net.connect(Number(target.port || 6379), target.hostname);
      sockets.add(client).add(up);
      client.pipe(up);
      up.on('data', (d: Buffer) => {
        if (armed) {
          armed = false;
          drops++;
          client.destroy();
          up.destroy();
          return;
        }
        client.write(d);
      });
      client.on('error', () => {});
      up.on('error', () => {});
      client.on('close', () => up.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const redis = new Redis({
      host: '127.0.0.1',
      port: (proxy.address() as net.AddressInfo).port,
      username: target.username || undefined,
      password: target.password || undefined,
      maxRetriesPerRequest: 2,
      retryStrategy: (n) => Math.min(n * 50, 500),
    });
    redis.on('error', () => {});
    const backend = new RedisBackend({ redis, prefix: f.prefix });
    await backend.claim('warm-up', LEASE); // loads the scripts through the proxy
    await backend.stats('warm-up');
    return {
      backend,
      dropNextReply: () => {
        armed = true;
      },
      dropped: () => drops > 0,
      close: async () => {
        await backend.close();
        redis.disconnect();
        for (const s of sockets) s.destroy();
        await new Promise<void>((resolve) => proxy.close(() => resolve()));
      },
    };
  }

  it('a claim whose reply is lost on a dropped connection leaves no orphan when it carries a requestId', async () => {
    const lossy = await lossyBackend();
    try {
      await f.backend.enqueueMany('net', [1, 2, 3].map((payload) => ({ payload, options: { maxRetries: 0 } })));
      lossy.dropNextReply();
      const got = await lossy.backend.claim('net', { ...LEASE, requestId: 'net-1' });
      expect(lossy.dropped()).toBe(true); // the reply was dropped, so the claim ran twice in Redis
      expect(got).toHaveLength(1);
      expect(await f.redis.zrange(ks.queue('net').active, '0', '-1')).toEqual([got[0]!.id]);
      expect(await tokenCounter('net')).toBe(1);
      expect((await f.backend.stats('net')).counts).toMatchObject({ pending: 2, active: 1 });
    } finally {
      await lossy.close();
    }
  });

  it('a complete with claimNext whose reply is lost is accepted, counted once and leaves no orphan', async () => {
    const lossy = await lossyBackend();
    try {
      await f.backend.enqueueMany('net', [1, 2, 3].map((payload) => ({ payload, options: { maxRetries: 0 } })));
      const t = await claimOne(f.backend, 'net');
      lossy.dropNextReply();
      const r = await lossy.backend.complete(t, 'ok', { ...LEASE, requestId: 'net-next-1' });
      expect(lossy.dropped()).toBe(true);
      expect(r.accepted).toBe(true);
      expect(r.next?.payload).toBe(2);
      expect(await f.redis.zrange(ks.queue('net').active, '0', '-1')).toEqual([r.next!.id]);
      const stats = await f.backend.stats('net');
      expect(stats.counts).toMatchObject({ pending: 1, active: 1, completed: 1 });
      expect(stats.totals).toMatchObject({ completed: 1, staleReplies: 0 });
    } finally {
      await lossy.close();
    }
  });
});
