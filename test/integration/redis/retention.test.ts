import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RedisBackend } from '../../../src/queue/redis/backend.js';
import { KeySpace } from '../../../src/queue/redis/keys.js';
import { type StartedRedis, redisServerAvailable, startRedisServer } from '../../helpers/redis-cluster.js';
import { type Fixture, LEASE, claimOne, createFixture, sleep } from './fixture.js';

describe('RedisBackend: retention, stats and health', () => {
  let f: Fixture;
  let keys: KeySpace;
  beforeEach(() => {
    f = createFixture('keep');
    keys = new KeySpace(f.prefix);
  });
  afterEach(async () => {
    await f.cleanup();
  });

  it('a short resultTtlMs expires the result and every key of the task', async () => {
    const { id } = await f.backend.enqueue('ttl', 'x', { resultTtlMs: 150 });
    const task = await claimOne(f.backend, 'ttl');
    await f.backend.partial(task, 'p');
    await f.backend.complete(task, { big: 'result' });
    const info = await f.backend.get(id);
    expect(info).toMatchObject({ state: 'completed', result: { big: 'result' } });
    expect(info!.expiresAt! - info!.finishedAt!).toBe(150);
    const k = keys.task(id)!;
    expect(await f.redis.pttl(k.hash)).toBeLessThanOrEqual(150);
    expect(await f.redis.pttl(k.events)).toBeLessThanOrEqual(150);
    await sleep(220);
    expect(await f.backend.get(id)).toBeNull();
    expect(await f.redis.exists(k.hash, k.events)).toBe(0);
    expect((await f.backend.stats('ttl')).counts.completed).toBe(0);
  });

  it('completed tasks get the default 24 h retention', async () => {
    const { id } = await f.backend.enqueue('def', 'x');
    await f.backend.complete(await claimOne(f.backend, 'def'), 1);
    const pttl = await f.redis.pttl(keys.task(id)!.hash);
    expect(pttl).toBeGreaterThan(24 * 3600_000 - 10_000);
    expect(pttl).toBeLessThanOrEqual(24 * 3600_000);
  });

  it('trims the oldest completed tasks beyond keepCompleted inside the completing script', async () => {
    await f.backend.setQueueDefaults('trim', { keepCompleted: 5 });
    const { id: first } = await f.backend.enqueue('trim', 0);
    // Ids start with their enqueue time: a later millisecond makes `first` sort first among
    // completions of equal expiry (a trim keeps the highest scores, ties by id).
    await sleep(2);
    await f.backend.enqueueMany('trim', Array.from({ length: 11 }, (_, i) => ({ payload: i + 1 })));
    let task = await claimOne(f.backend, 'trim');
    for (;;) {
      const { next } = await f.backend.complete(task, 'ok', LEASE);
      if (!next) break;
      task = next;
    }
    const completedSet = keys.queue('trim').completed;
    expect(await f.redis.zcard(completedSet)).toBe(5);
    expect(await f.backend.get(first)).toBeNull();
    expect(await f.redis.exists(keys.task(first)!.hash, keys.task(first)!.events)).toBe(0);
    const kept = await f.redis.zrange(completedSet, '0', '-1');
    for (const id of kept) expect((await f.backend.get(id))?.state).toBe('completed');
    const stats = await f.backend.stats('trim');
    expect(stats.counts.completed).toBe(5);
    expect(stats.totals.completed).toBe(12);
  });

  it('trimming releases the idempotency keys of trimmed tasks, in a queue that uses them', async () => {
    await f.backend.setQueueDefaults('trimidem', { keepCompleted: 2 });
    await f.backend.enqueueMany('trimidem', [{ payload: 0 }, { payload: 1 }]);
    const counters = keys.queue('trimidem').counters;
    expect(await f.redis.hget(counters, 'idem')).toBeNull(); // no key yet: trimming reads none
    const keyed = await f.backend.enqueueMany('trimidem', [2, 3, 4].map((n) => ({ payload: n, options: { idempotencyKey: `k${n}` } })));
    expect(await f.redis.hget(counters, 'idem')).toBe('1');
    let task = await claimOne(f.backend, 'trimidem');
    for (;;) {
      const { next } = await f.backend.complete(task, 'ok', LEASE);
      if (!next) break;
      task = next;
    }
    // Five completed, two kept (ties in expiry are kept by id, so which two is not fixed): at
    // least one keyed task was trimmed, and its key went with it; a kept one kept its key.
    const kept = new Set(await f.redis.zrange(keys.queue('trimidem').completed, '0', '-1'));
    expect(kept.size).toBe(2);
    let released = 0;
    for (const [i, n] of [2, 3, 4].entries()) {
      const key = keys.idempotency('trimidem', `k${n}`);
      if (kept.has(keyed[i]!.id)) expect(await f.redis.get(key)).toBe(keyed[i]!.id);
      else {
        expect(await f.redis.exists(key)).toBe(0);
        released += 1;
      }
    }
    expect(released).toBeGreaterThan(0);
    const trimmedKey = [2, 3, 4].find((_, i) => !kept.has(keyed[i]!.id))!;
    const again = await f.backend.enqueue('trimidem', 'again', { idempotencyKey: `k${trimmedKey}` });
    expect(again.created).toBe(true);
  });

  it('caps each event stream at eventsMaxLen (approximately)', async () => {
    await f.backend.setQueueDefaults('cap', { eventsMaxLen: 10 });
    const { id } = await f.backend.enqueue('cap', 'x');
    const task = await claimOne(f.backend, 'cap');
    for (let i = 0; i < 500; i++) await f.backend.partial(task, i);
    // MAXLEN ~ trims whole stream nodes (100 entries by default).
    expect(await f.redis.xlen(keys.task(id)!.events)).toBeLessThanOrEqual(110);
  });

  it('stats reports counts per state, totals, failures by reason, throughput and supervisors', async () => {
    await f.backend.enqueueMany('st', [{ payload: 1 }, { payload: 2 }, { payload: 3 }, { payload: 4 }]);
    await f.backend.enqueue('st', 5, { delayMs: 60_000 });
    const [a, b, c] = await f.backend.claim('st', { ...LEASE, count: 3 });
    await f.backend.complete(a!, 1);
    await f.backend.fail(b!, { reason: 'timeout', error: { message: 't', reason: 'timeout' }, retry: false });
    await f.backend.registerSupervisor({ id: 'sup-a', hostname: 'h', pid: 1, queues: ['st'], concurrency: 2 }, 10_000);
    await f.backend.registerSupervisor({ id: 'sup-b', hostname: 'h', pid: 2, queues: ['other'], concurrency: 1 }, 10_000);
    const s = await f.backend.stats('st');
    expect(s.counts).toEqual({ pending: 1, scheduled: 1, active: 1, completed: 1, failed: 1, cancelled: 0 });
    expect(s.totals).toMatchObject({ completed: 1, failed: 1, staleReplies: 0 });
    expect(s.failuresByReason).toMatchObject({ timeout: 1, error: 0, lease_lost: 0 });
    expect(s.throughput).toHaveLength(60);
    expect(s.throughput.at(-1)).toMatchObject({ completed: 1, failed: 1 });
    expect(s.supervisors).toBe(1);
    void c;
  });

  it('registers supervisors with a TTL and lists only live ones', async () => {
    await f.backend.registerSupervisor({ id: 'live', hostname: 'box', pid: 42, queues: ['q'], concurrency: 4 }, 10_000);
    await f.backend.registerSupervisor({ id: 'short', hostname: 'box', pid: 43, queues: ['q'], concurrency: 1 }, 100);
    let list = await f.backend.listSupervisors();
    expect(list.map((s) => s.id).sort()).toEqual(['live', 'short']);
    expect(list.find((s) => s.id === 'live')).toMatchObject({ hostname: 'box', pid: 42, queues: ['q'], concurrency: 4 });
    await sleep(150);
    list = await f.backend.listSupervisors();
    expect(list.map((s) => s.id)).toEqual(['live']);
    await f.backend.unregisterSupervisor('live');
    expect(await f.backend.listSupervisors()).toEqual([]);
  });
});

describe.skipIf(!redisServerAvailable())('checkMaxmemoryPolicy', () => {
  const servers: StartedRedis[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  async function check(args: string[]): Promise<string | null> {
    const server = await startRedisServer(args);
    servers.push(server);
    const redis = new Redis(server.url);
    try {
      return await new RedisBackend({ redis }).checkMaxmemoryPolicy();
    } finally {
      redis.disconnect();
    }
  }

  it('warns when the policy can evict keys', async () => {
    const warning = await check(['--maxmemory-policy', 'allkeys-lru']);
    expect(warning).toMatch(/allkeys-lru.*noeviction/);
  });

  it('is silent with noeviction', async () => {
    expect(await check(['--maxmemory-policy', 'noeviction'])).toBeNull();
  });

  it('is silent when CONFIG is refused (managed Redis)', async () => {
    expect(await check(['--maxmemory-policy', 'allkeys-lru', '--rename-command', 'CONFIG', ''])).toBeNull();
  });
});
