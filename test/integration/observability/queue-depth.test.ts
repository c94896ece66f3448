import { createServer, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createQueueDepthReader, type QueueStatsSource } from '../../../src/observability/queue-depth.js';
import { RedisBackend } from '../../../src/queue/redis/backend.js';
import { memoryLogger } from '../../helpers/handlers.js';
import { createFixture, type Fixture } from '../redis/fixture.js';

let f: Fixture;
beforeEach(() => {
  f = createFixture('depth');
});
afterEach(async () => {
  await f.cleanup();
});

/** The real backend, counting the stats calls that reach Redis. */
function counted(backend: RedisBackend): QueueStatsSource & { calls: string[] } {
  const calls: string[] = [];
  return { calls, stats: (queue) => (calls.push(queue), backend.stats(queue)) };
}

describe('queue depth for /metrics', () => {
  it('reads each queue once per max age, however many scrapes ask at once', async () => {
    await f.backend.enqueue('a', { n: 1 });
    await f.backend.enqueue('a', { n: 2 });
    await f.backend.enqueue('b', { n: 3 }, { delayMs: 600_000 });
    const source = counted(f.backend);
    const reader = createQueueDepthReader({ source, queues: () => ['a', 'b', 'a'], maxAgeMs: 600_000, timeoutMs: 5000, logger: memoryLogger().logger });
    const snapshots = await Promise.all(Array.from({ length: 5 }, () => reader.read()));
    expect(source.calls.sort()).toEqual(['a', 'b']);
    for (const s of snapshots) expect(s).toBe(snapshots[0]);
    expect(snapshots[0]!.up).toBe(true);
    expect(snapshots[0]!.depth.get('a')).toEqual({ pending: 2, scheduled: 0, active: 0, dead: 0 });
    expect(snapshots[0]!.depth.get('b')).toEqual({ pending: 0, scheduled: 1, active: 0, dead: 0 });
    await reader.read();
    expect(source.calls).toHaveLength(2); // still fresh: served from the last read

    const uncached = createQueueDepthReader({ source, queues: () => ['a'], maxAgeMs: 0, timeoutMs: 5000, logger: memoryLogger().logger });
    await uncached.read();
    await uncached.read();
    expect(source.calls).toHaveLength(4);
  });

  it('gives up on a Redis that does not answer, reports it down once, and shows no stale counts', async () => {
    // A server that accepts connections and never answers: a hung or partitioned Redis.
    const sockets = new Set<Socket>();
    const blackHole: Server = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    const port = (blackHole.address() as { port: number }).port;
    const redis = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: null, enableReadyCheck: false });
    const backend = new RedisBackend({ redis, prefix: f.prefix });
    const { logger, records } = memoryLogger();
    try {
      const reader = createQueueDepthReader({ source: backend, queues: () => ['a'], maxAgeMs: 0, timeoutMs: 300, logger });
      const first = await reader.read();
      expect(first).toEqual({ up: false, depth: new Map() });
      expect((await reader.read()).up).toBe(false);
      const warnings = records.filter((r) => r.msg === 'cannot read queue depth for /metrics (is Redis reachable?)');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ error: 'no answer within 300 ms' });
    } finally {
      redis.disconnect();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => blackHole.close(() => resolve()));
    }
  });
});
