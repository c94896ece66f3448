import type { Command } from 'commander';
import type { Cluster, Redis } from 'ioredis';
import { openConnection, type OwnedConnection } from '../client/connection.js';
import { normalizeClientOptions } from '../client/options.js';
import { RedisBackend } from '../queue/redis/backend.js';

/** Flags every Redis-backed command shares. */
export interface RedisFlags {
  redis?: string;
  cluster?: boolean;
  prefix?: string;
}

export function addRedisFlags(command: Command): Command {
  return command
    .option('--redis <url>', 'Redis URL, redis:// or rediss:// (default: $DROVER_REDIS_URL, $REDIS_URL, redis://127.0.0.1:6379)')
    .option('--cluster', 'treat --redis as a seed node of a Redis Cluster')
    .option('--prefix <prefix>', "key prefix shared by supervisors and clients (default: 'drover:')");
}

export interface RedisSession {
  redis: Redis | Cluster;
  backend: RedisBackend;
  close(): Promise<void>;
}

/** One connection and the backend on it; close() releases both. */
export function openRedisSession(flags: RedisFlags): RedisSession {
  const options = normalizeClientOptions({ redis: flags.redis, cluster: flags.cluster === true, prefix: flags.prefix });
  const connection: OwnedConnection = openConnection(options);
  const backend = new RedisBackend({ redis: connection.redis, prefix: options.prefix });
  return {
    redis: connection.redis,
    backend,
    async close() {
      await backend.close();
      if (connection.redis.status === 'ready') await connection.redis.quit().catch(() => connection.redis.disconnect());
      else connection.redis.disconnect();
    },
  };
}
