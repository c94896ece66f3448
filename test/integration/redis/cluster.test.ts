/**
 * The backend against a real 3-master Redis Cluster: every script of a queue must touch one
 * slot only (no CROSSSLOT), and the queues must spread over several nodes.
 */
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisBackend } from '../../../src/queue/redis/backend.js';
import { Client } from '../../../src/client/client.js';
import { type StartedCluster, redisServerAvailable, startCluster } from '../../helpers/redis-cluster.js';

const available = redisServerAvailable();
if (!available) {
  console.warn('cluster.test.ts skipped: redis-server / redis-cli are not installed');
}

const QUEUES = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];
const LEASE = { supervisorId: 'sup-cluster', leaseMs: 30_000 };

describe.skipIf(!available)('RedisBackend on a real Redis Cluster', () => {
  let cluster: StartedCluster;
  let redis: Cluster;
  let backend: RedisBackend;

  beforeAll(async () => {
    cluster = await startCluster({ masters: 3 });
    redis = new Cluster(cluster.nodes, { redisOptions: { maxRetriesPerRequest: 3 } });
    backend = new RedisBackend({ redis, prefix: 'drover-cluster-test:' });
  }, 60_000);

  afterAll(async () => {
    await backend?.close();
    redis?.disconnect();
    await cluster?.stop();
  });

  it('spreads the queues over more than one node', async () => {
    const owners = new Set<string>();
    for (const q of QUEUES) {
      const slot = Number(await redis.cluster('KEYSLOT', `drover-cluster-test:{${q}}:pending`));
      const slots = await redis.cluster('SLOTS');
      const owner = slots.find(([from, to]) => slot >= from && slot <= to);
      owners.add(String(owner?.[2]?.[1]));
    }
    expect(owners.size).toBeGreaterThan(1);
  });

  it('runs enqueue, claim, complete, wait, fail, cancel and stats without CROSSSLOT', async () => {
    for (const q of QUEUES) {
      const [a, b] = await backend.enqueueMany(q, [{ payload: `${q}-1` }, { payload: `${q}-2` }]);
      const c = await backend.enqueue(q, `${q}-3`, { idempotencyKey: 'once', priority: 5 });
      expect((await backend.enqueue(q, 'dup', { idempotencyKey: 'once' })).id).toBe(c.id);
      const waiting = backend.wait(a!.id, { timeoutMs: 10_000 });
      const [first] = await backend.claim(q, LEASE);
      expect(first?.id).toBe(c.id); // priority 5 first
      const { accepted, next } = await backend.complete(first!, 'ok', LEASE);
      expect(accepted).toBe(true);
      expect(next?.id).toBe(a!.id);
      await backend.progress(next!, 0.5);
      await backend.complete(next!, { q });
      expect(await waiting).toMatchObject({ state: 'completed', result: { q } });
      const [third] = await backend.claim(q, LEASE);
      expect(third?.id).toBe(b!.id);
      await backend.fail(third!, { reason: 'error', error: { message: 'x', reason: 'error' }, retry: false });
      expect(await backend.listDead(q, {})).toHaveLength(1);
      expect(await backend.retryDead(q)).toBe(1);
      expect(await backend.cancel(b!.id)).toEqual({ state: 'cancelled' });
      const stats = await backend.stats(q);
      expect(stats.counts).toMatchObject({ completed: 2, cancelled: 1, pending: 0 });
    }
  });

  it('recovers expired leases and extends leases across queues on different nodes', async () => {
    const claimed = [];
    for (const q of QUEUES) {
      await backend.enqueue(q, 'lease');
      claimed.push(...(await backend.claim(q, { ...LEASE, leaseMs: 100 })));
    }
    expect(claimed).toHaveLength(QUEUES.length);
    expect((await backend.extendLeases('sup-cluster', claimed.slice(0, 2), 100)).lost).toEqual([]);
    await new Promise((r) => setTimeout(r, 150));
    const res = await backend.recover(QUEUES, { lockMs: 0 });
    expect(res.requeued).toBe(QUEUES.length);
    const stale = await backend.complete(claimed[0]!, 'late');
    expect(stale.accepted).toBe(false);
    for (const q of QUEUES) expect(await backend.claim(q, LEASE)).toHaveLength(1);
  });

  it('waitForWork wakes on an enqueue to any of several queues (one blocking call per queue)', async () => {
    const queues = ['w-one', 'w-two', 'w-three'];
    await backend.waitForWork(queues, 1);
    const started = Date.now();
    const waiting = backend.waitForWork(queues, 10_000);
    await new Promise((r) => setTimeout(r, 100));
    await backend.enqueue('w-three', 'x');
    await waiting;
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await backend.claim('w-three', LEASE)).toHaveLength(1);
  });

  it('the Client works against the cluster from a seed URL', async () => {
    const client = new Client({ redis: cluster.urls[0]!, cluster: true, prefix: 'drover-cluster-test:' });
    try {
      const { id } = await client.enqueue('client-q', { n: 1 });
      const [task] = await backend.claim('client-q', LEASE);
      const waiting = client.wait(id, { timeout: 10_000 });
      await backend.complete(task!, 'from cluster');
      expect(await waiting).toMatchObject({ state: 'completed', result: 'from cluster' });
      expect((await client.stats('client-q')).counts.completed).toBe(1);
    } finally {
      await client.close();
    }
  });
});
