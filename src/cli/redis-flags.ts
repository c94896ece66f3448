import { InvalidArgumentError, type Command } from 'commander';
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { DroverError } from '../errors.js';
import { openConnection, type OwnedConnection } from '../client/connection.js';
import { defaultRedisUrl, normalizeClientOptions } from '../client/options.js';
import { RedisBackend } from '../queue/redis/backend.js';

/** Flags every Redis-backed command shares. */
export interface RedisFlags {
  redis?: string;
  cluster?: boolean;
  sentinels?: { host: string; port: number }[];
  sentinelName?: string;
  prefix?: string;
  /** Only on commands that enqueue (--max-payload-bytes). */
  maxPayloadBytes?: number;
}

export function addRedisFlags(command: Command): Command {
  return command
    .option('--redis <url>', 'Redis URL, redis:// or rediss:// (default: $DROVER_REDIS_URL, $REDIS_URL, redis://127.0.0.1:6379)')
    .option('--cluster', 'treat --redis as a seed node of a Redis Cluster')
    .option('--sentinels <host:port,...>', 'find the master through these Redis Sentinels (credentials and db still come from --redis)', parseSentinels)
    .option('--sentinel-name <name>', 'the master name the Sentinels monitor (default: mymaster)')
    .option('--prefix <prefix>', "key prefix shared by supervisors and clients (default: 'drover:')");
}

export interface RedisSession {
  redis: Redis | Cluster;
  backend: RedisBackend;
  close(): Promise<void>;
}

function parseSentinels(text: string): { host: string; port: number }[] {
  return text.split(',').map((part) => {
    const m = /^\s*([^:\s]+):(\d+)\s*$/.exec(part);
    if (!m) throw new InvalidArgumentError(`expected host:port[,host:port...], got "${text}"`);
    return { host: m[1]!, port: Number(m[2]) };
  });
}

/**
 * How long a command may wait for a Sentinel-managed master (ms). ioredis retries a round of
 * unreachable Sentinels forever inside one connect, where the retry limit of a plain connection
 * never applies: without a bound, every command would wait forever. With it, a command fails
 * as CONNECTION_ERROR naming the Sentinels' last error, and the supervisor retries as it does
 * when Redis is down. Blocking reads (BLPOP, XREAD, SUBSCRIBE) use their own connections,
 * without it.
 */
const SENTINEL_COMMAND_TIMEOUT_MS = 10_000;

/** ioredis options for a Sentinel-managed master: ioredis asks the Sentinels and follows failovers. */
function sentinelOptions(flags: RedisFlags): RedisOptions {
  // Validated first: a bad URL is an INVALID_OPTION with its password masked, not a TypeError quoting it.
  const url = new URL(normalizeClientOptions({ redis: flags.redis ?? defaultRedisUrl() }).redis as string);
  const options: RedisOptions = {
    sentinels: flags.sentinels,
    name: flags.sentinelName ?? 'mymaster',
    commandTimeout: SENTINEL_COMMAND_TIMEOUT_MS,
    // The same backoff as a plain connection's reconnects (ioredis: 10 ms more per round, to 1 s).
    sentinelRetryStrategy: (times: number) => Math.min(times * 100, 2000),
  };
  if (url.username) options.username = decodeURIComponent(url.username);
  if (url.password) options.password = decodeURIComponent(url.password);
  const db = url.pathname.replace(/^\//, '');
  if (/^\d+$/.test(db)) options.db = Number(db);
  if (url.protocol === 'rediss:') options.tls = {};
  return options;
}

/** One connection and the backend on it; close() releases both. */
export function openRedisSession(flags: RedisFlags): RedisSession {
  if (flags.sentinels && flags.cluster) throw new DroverError('INVALID_OPTION', '--sentinels and --cluster do not go together');
  const redis = flags.sentinels ? sentinelOptions(flags) : flags.redis;
  const options = normalizeClientOptions({ redis, cluster: flags.cluster === true, prefix: flags.prefix, maxPayloadBytes: flags.maxPayloadBytes });
  const connection: OwnedConnection = openConnection(options);
  const backend = new RedisBackend({ redis: connection.redis, prefix: options.prefix, maxPayloadBytes: options.maxPayloadBytes });
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
