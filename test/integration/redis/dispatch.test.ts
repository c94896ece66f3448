import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RedisBackend } from '../../../src/queue/redis/backend.js';
import type { ClaimedTask } from '../../../src/queue/redis/claimed-task.js';
import { KeySpace } from '../../../src/queue/redis/keys.js';
import { connect } from '../../helpers/redis.js';
import { type Fixture, createFixture, sleep } from './fixture.js';

/**
 * Direct hand-off (lua/include/dispatch.lua): a supervisor whose claim drained its queue registers
 * as idle; the next enqueue leases the task to it and pushes it on its inbox, which its
 * waitForWork takes. Leaving, expiry and the races between them lose nothing.
 */
describe('RedisBackend: an enqueue hands its task to a supervisor waiting on the empty queue', () => {
  let f: Fixture;
  let sup: RedisBackend;
  let handed: ClaimedTask[];
  /** sup-a's claim of `queue` that registers it as idle when it drains the queue (its inbox set first). */
  const claimIdle = (queue: string, idleMs = 10_000): Promise<ClaimedTask[]> => {
    sup.setInbox('sup-a', queue, (task) => handed.push(task));
    return sup.claim(queue, { supervisorId: 'sup-a', leaseMs: 30_000, count: 2, idleMs });
  };
  beforeEach(() => {
    f = createFixture('dispatch');
    sup = f.track(new RedisBackend({ redis: f.track(connect()), prefix: f.prefix }));
    handed = [];
  });
  afterEach(async () => {
    await f.cleanup();
  });
  const keys = (queue: string) => new KeySpace(f.prefix).queue(queue);

  it('a completion whose claim-next drains the queue gives the slot it frees back to the idle entry: the next task is handed over with no claim between', async () => {
    expect(await claimIdle('d9')).toEqual([]); // registered for 2
    const first = sup.waitForWork(['d9'], 10_000);
    await sleep(100);
    await f.backend.enqueue('d9', 1);
    await first;
    expect(sup.idleSlots('d9')).toBe(1);
    // The supervisor holds 1 task of its room of 2: completing it frees a slot (idleSlots 2).
    const done = await sup.completeMany('d9', [{ task: handed[0]!, resultJson: '"ok"' }], { supervisorId: 'sup-a', leaseMs: 30_000, count: 1, idleMs: 10_000, idleSlots: 2 });
    expect(done).toEqual({ accepted: [true], claimed: [] });
    expect(await f.redis.lrange(keys('d9').idle, 0, -1)).toEqual([expect.stringMatching(/^\d+ 30000 2 sup-a$/)]);
    expect(sup.idleSlots('d9')).toBe(2);
    // Two more enqueues are handed over, one after the other, with no claim.
    for (const payload of [2, 3]) {
      const waiting = sup.waitForWork(['d9'], 10_000);
      await sleep(50);
      await f.backend.enqueue('d9', payload);
      await waiting;
    }
    expect(handed.map((t) => t.payload)).toEqual([1, 2, 3]);
    expect(await f.redis.lrange(keys('d9').idle, 0, -1)).toEqual([]);
    // A claim-next that finds a task registers nothing (the queue is not empty).
    await f.backend.enqueueMany('d9', [{ payload: 4 }, { payload: 5 }]);
    const next = await sup.completeMany('d9', [{ task: handed[1]!, resultJson: '"ok"' }], { supervisorId: 'sup-a', leaseMs: 30_000, count: 1, idleMs: 10_000, idleSlots: 2 });
    expect(next.claimed.map((t) => t.payload)).toEqual([4]);
    expect(await f.redis.lrange(keys('d9').idle, 0, -1)).toEqual([]);
  });

  it('the task arrives leased through the inbox: no wake token, nothing pending, no claim', async () => {
    expect(await claimIdle('d1')).toEqual([]); // asked 2, drained: registered as idle for 2
    expect(await f.redis.lrange(keys('d1').idle, 0, -1)).toEqual([expect.stringMatching(/^\d+ 30000 2 sup-a$/)]);
    expect(sup.idleSlots('d1')).toBe(2);
    const waiting = sup.waitForWork(['d1'], 10_000);
    await sleep(100);
    const { id } = await f.backend.enqueue('d1', { x: 1 });
    await waiting;
    expect(handed.map((t) => [t.id, t.payload, t.attempts])).toEqual([[id, { x: 1 }, 1]]);
    expect(await f.backend.get(id)).toMatchObject({ state: 'active', attempts: 1 });
    expect(await f.redis.zscore(keys('d1').active, id)).toBe(String(handed[0]!.leaseExpiresAt));
    expect(await f.redis.llen(keys('d1').wake)).toBe(0);
    expect(await f.redis.llen(keys('d1').pendingList)).toBe(0);
    // Put back with one slot less: the next enqueue is handed over too, with no claim between.
    expect(await f.redis.lrange(keys('d1').idle, 0, -1)).toEqual([expect.stringMatching(/^\d+ 30000 1 sup-a$/)]);
    expect(sup.idleSlots('d1')).toBe(1);
    // The handed-over claim is a real lease: completing it with its token is accepted.
    expect((await sup.complete(handed[0]!, 'ok')).accepted).toBe(true);
  });

  it('a task handed over is stored and delivered exactly as a claim would have leased it', async () => {
    const opts = { type: 'resize', meta: { user: 7 }, timeoutMs: 1500, maxRetries: 5 };
    expect(await claimIdle('d10')).toEqual([]);
    const waiting = sup.waitForWork(['d10'], 10_000);
    await sleep(100);
    await f.backend.enqueue('d10', { x: 1 }, opts);
    await waiting;
    await f.backend.enqueue('d11', { x: 1 }, opts);
    const [claimed] = await sup.claim('d11', { supervisorId: 'sup-a', leaseMs: 30_000, count: 1 });
    const comparable = ({ id, queue, token, leaseExpiresAt, enqueuedAt, startedAt, deadlineMs, ...rest }: ClaimedTask) => ({
      ...rest,
      payload: rest.payload,
      leaseMs: leaseExpiresAt - startedAt,
      deadlineIn: deadlineMs === undefined ? undefined : deadlineMs - startedAt,
      enqueuedFirst: enqueuedAt <= startedAt,
    });
    expect(comparable(handed[0]!)).toEqual(comparable(claimed!));
    expect(comparable(handed[0]!)).toMatchObject({ type: 'resize', meta: { user: 7 }, timeoutMs: 1500, maxRetry: 5, retryCount: 0, attempts: 1, deadlineIn: 1500, leaseMs: 30_000 });
    // The task hashes hold the same fields, but for the clock, the token and the notify tag.
    const stored = async (id: string): Promise<Record<string, string>> => {
      const { enqueuedAt, startedAt, leaseUntil, token, ...rest } = await f.redis.hgetall(`${f.prefix}{${id.split(':')[0]}}:t:${id}`);
      expect([enqueuedAt, startedAt, leaseUntil, token].every((v) => v !== undefined)).toBe(true);
      return rest;
    };
    expect(await stored(handed[0]!.id)).toEqual(await stored(claimed!.id));
  });

  it('idle supervisors take turns, each up to its free slots, then the queue; a task pushed before a wait is taken at once', async () => {
    const other = f.track(new RedisBackend({ redis: f.track(connect()), prefix: f.prefix }));
    const otherHanded: ClaimedTask[] = [];
    await claimIdle('d2');
    expect(sup.setInbox('sup-b', 'd2', () => undefined)).toBe(false); // one inbox per queue and backend
    expect(other.setInbox('sup-b', 'd2', (task) => otherHanded.push(task))).toBe(true);
    await other.claim('d2', { supervisorId: 'sup-b', leaseMs: 30_000, count: 2, idleMs: 10_000 });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await f.backend.enqueue('d2', i)).id);
    // Each wait takes one task from its inbox (pushed before it began).
    for (let i = 0; i < 2; i++) {
      await sup.waitForWork(['d2'], 10_000);
      await other.waitForWork(['d2'], 10_000);
    }
    expect(handed.map((t) => t.id)).toEqual([ids[0], ids[2]]);
    expect(otherHanded.map((t) => t.id)).toEqual([ids[1], ids[3]]);
    expect(sup.idleSlots('d2') + other.idleSlots('d2')).toBe(0);
    expect(await f.redis.llen(keys('d2').idle)).toBe(0);
    expect(await f.backend.get(ids[4]!)).toMatchObject({ state: 'pending' });
    expect(await f.redis.llen(keys('d2').wake)).toBe(1); // the fifth woke whoever waits next
  });

  it('a wait that ends otherwise leaves the idle list; a task pushed meanwhile is taken, not stranded', async () => {
    await claimIdle('d3');
    await sup.waitForWork(['d3'], 200); // times out
    expect(await f.redis.llen(keys('d3').idle)).toBe(0);
    const { id } = await f.backend.enqueue('d3', 'later');
    expect(await f.backend.get(id)).toMatchObject({ state: 'pending' }); // not handed: nobody idle
    expect(handed).toEqual([]);

    // Registered, and a task pushed between the claim and the leave: leaveIdle returns it.
    await f.backend.claim('d3', { supervisorId: 'x', leaseMs: 30_000 });
    await claimIdle('d3');
    const pushed = await f.backend.enqueue('d3', 'raced');
    const back = await sup.leaveIdle('sup-a');
    expect(back.map((t) => t.id)).toEqual([pushed.id]);
    expect(await f.redis.exists(keys('d3').inboxPrefix + 'sup-a')).toBe(0);
    expect(await f.redis.llen(keys('d3').idle)).toBe(0);
    expect(handed).toEqual([]);
  });

  it('an expired entry (a supervisor that died) is skipped: the task stays pending and wakes a supervisor', async () => {
    await claimIdle('d4', 1);
    await sleep(20);
    const { id } = await f.backend.enqueue('d4', 'x');
    expect(await f.backend.get(id)).toMatchObject({ state: 'pending' });
    expect(await f.redis.llen(keys('d4').idle)).toBe(0);
    expect(await f.redis.llen(keys('d4').wake)).toBe(1);
  });

  it('an entry within a second of its expiry offers no slots (the supervisor claims and registers anew instead of waiting on it)', async () => {
    await claimIdle('d6', 1500);
    expect(sup.idleSlots('d6')).toBe(2);
    await sleep(600);
    expect(sup.idleSlots('d6')).toBe(0);
    await claimIdle('d6', 10_000); // replaces its entry: still one per supervisor
    expect(await f.redis.lrange(keys('d6').idle, 0, -1)).toEqual([expect.stringMatching(/^\d+ 30000 2 sup-a$/)]);
    expect(sup.idleSlots('d6')).toBe(2);
  });

  it('no hand-off while other tasks are pending (FIFO) or to a claim that did not ask for it', async () => {
    await f.backend.claim('d5', { supervisorId: 'sup-a', leaseMs: 30_000, count: 2 }); // no idleMs
    expect(await f.redis.llen(keys('d5').idle)).toBe(0);
    await claimIdle('d5');
    await f.redis.rpush(keys('d5').pendingList, 'stale-entry'); // as if another task were pending
    const { id } = await f.backend.enqueue('d5', 'x');
    expect(await f.backend.get(id)).toMatchObject({ state: 'pending' });
    expect(await f.redis.llen(keys('d5').idle)).toBe(1); // still registered
  });
});
