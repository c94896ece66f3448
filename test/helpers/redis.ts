import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/** REDIS_URL for tests; test/run-all.sh starts a private redis-server when nothing answers. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A fresh key prefix per test so parallel tests never share keys. */
export function testPrefix(label = 't'): string {
  return `drover-test:${label}:${randomBytes(4).toString('hex')}:`;
}

export function connect(): Redis {
  return new Redis(REDIS_URL, { maxRetriesPerRequest: 3, lazyConnect: false });
}

/** Delete every key under a prefix (SCAN, never KEYS on a shared server). */
export async function cleanupPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
}
