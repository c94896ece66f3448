/** Creating (and closing) the connection a Client owns. */
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { NormalizedClientOptions } from './options.js';
import { isConnection } from './options.js';

/** Commands fail fast (CONNECTION_ERROR) instead of queueing forever while Redis is down. */
const FAIL_FAST: RedisOptions = {
  maxRetriesPerRequest: 2,
  connectTimeout: 5000,
  retryStrategy: (times: number) => Math.min(times * 100, 2000),
  // After QUIT or disconnect(), wait this long for the socket to close before destroying it
  // (ioredis waits 2 s by default, which kept CLI commands alive 2 s past their end).
  disconnectTimeout: 200,
};

function urlOptions(raw: string): RedisOptions {
  const url = new URL(raw);
  const options: RedisOptions = {};
  if (url.username) options.username = decodeURIComponent(url.username);
  if (url.password) options.password = decodeURIComponent(url.password);
  if (url.protocol === 'rediss:') options.tls = { servername: url.hostname };
  const db = url.pathname.replace(/^\//, '');
  if (db !== '' && /^\d+$/.test(db)) options.db = Number(db);
  return options;
}

export interface OwnedConnection {
  redis: Redis | Cluster;
  /** True when the client created it (and so must close it). */
  owned: boolean;
}

export function openConnection(o: NormalizedClientOptions): OwnedConnection {
  if (isConnection(o.redis)) return { redis: o.redis, owned: false };
  let redis: Redis | Cluster;
  if (o.cluster) {
    const seed = typeof o.redis === 'string' ? o.redis : { host: o.redis.host, port: o.redis.port };
    const fromUrl = typeof o.redis === 'string' ? urlOptions(o.redis) : o.redis;
    redis = new Cluster([seed], {
      redisOptions: { ...FAIL_FAST, ...fromUrl },
      clusterRetryStrategy: (times: number) => (times > 5 ? null : Math.min(times * 100, 1000)),
    });
  } else {
    redis = typeof o.redis === 'string' ? new Redis(o.redis, FAIL_FAST) : new Redis({ ...FAIL_FAST, ...o.redis });
  }
  // Failures surface as rejected commands (CONNECTION_ERROR); no unhandled 'error' events.
  redis.on('error', () => undefined);
  return { redis, owned: true };
}

export async function closeConnection(c: OwnedConnection): Promise<void> {
  if (!c.owned) return;
  if (c.redis.status === 'ready') {
    try {
      await c.redis.quit();
      return;
    } catch {
      // fall through
    }
  }
  c.redis.disconnect();
}
