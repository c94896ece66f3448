/** Shared set-up for the Redis backend tests: a backend on its own prefix, cleaned up after. */
import type { Redis } from 'ioredis';
import { RedisBackend } from '../../../src/queue/redis/backend.js';
import type { ClaimedTask } from '../../../src/queue/redis/claimed-task.js';
import { cleanupPrefix, connect, testPrefix } from '../../helpers/redis.js';

export interface Fixture {
  redis: Redis;
  backend: RedisBackend;
  prefix: string;
  /** Extra connections/backends to close at the end. */
  track<T extends { close(): Promise<void> } | Redis>(thing: T): T;
  cleanup(): Promise<void>;
}

export function createFixture(label: string): Fixture {
  const redis = connect();
  const prefix = testPrefix(label);
  const backend = new RedisBackend({ redis, prefix });
  const tracked: ({ close(): Promise<void> } | Redis)[] = [];
  return {
    redis,
    backend,
    prefix,
    track(thing) {
      tracked.push(thing);
      return thing;
    },
    async cleanup() {
      for (const t of tracked.reverse()) {
        if ('disconnect' in t) t.disconnect();
        else await t.close();
      }
      await backend.close();
      await cleanupPrefix(redis, prefix);
      redis.disconnect();
    },
  };
}

export const LEASE = { supervisorId: 'sup-test', leaseMs: 30_000 };

export async function claimOne(backend: RedisBackend, queue: string, leaseMs = 30_000): Promise<ClaimedTask> {
  const [task] = await backend.claim(queue, { supervisorId: 'sup-test', leaseMs });
  if (!task) throw new Error(`nothing to claim in ${queue}`);
  return task;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
