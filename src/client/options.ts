/** Client options: where Redis is and under which prefix drover's keys live. */
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { DroverError } from '../errors.js';
import { DEFAULT_PREFIX } from '../queue/redis/keys.js';
import { normalizeMaxPayloadBytes } from '../queue/redis/options.js';
import { redactUrl } from './redact-url.js';

export interface ClientOptions {
  /**
   * A URL (`redis://`, `rediss://` for TLS, with user:password for AUTH), ioredis options, or
   * an existing connection (which the client then does not close).
   * @defaultValue process.env.DROVER_REDIS_URL, else process.env.REDIS_URL, else 'redis://127.0.0.1:6379'
   */
  redis?: string | RedisOptions | Redis | Cluster;
  /** Treat the URL or options as a seed node of a Redis Cluster. @defaultValue false */
  cluster?: boolean;
  /** Prefix of every key; must match the supervisors'. @defaultValue 'drover:' */
  prefix?: string;
  /**
   * Largest payload enqueue accepts, in bytes of its JSON text; a bigger one is refused with
   * PAYLOAD_TOO_LARGE before anything is sent. @defaultValue 16777216 (16 MiB)
   */
  maxPayloadBytes?: number;
}

export interface NormalizedClientOptions {
  redis: string | RedisOptions | Redis | Cluster;
  cluster: boolean;
  prefix: string;
  maxPayloadBytes: number;
}

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export const DEFAULT_CLIENT_OPTIONS: Readonly<{ cluster: boolean; prefix: string }> = {
  cluster: false,
  prefix: DEFAULT_PREFIX,
};

/** The default URL, read from the environment at call time. */
export function defaultRedisUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.DROVER_REDIS_URL || env.REDIS_URL || DEFAULT_REDIS_URL;
}

/** An existing ioredis connection (Redis or Cluster) rather than options. */
export function isConnection(value: unknown): value is Redis | Cluster {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { duplicate?: unknown }).duplicate === 'function' &&
    typeof (value as { isCluster?: unknown }).isCluster === 'boolean'
  );
}

export function normalizeClientOptions(value: unknown): NormalizedClientOptions {
  if (value === undefined) value = {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DroverError('INVALID_OPTION', `options: expected an object, got ${JSON.stringify(value)}`);
  }
  const o = value as ClientOptions;
  const redis = o.redis ?? defaultRedisUrl();
  if (typeof redis === 'string') {
    let url: URL;
    try {
      url = new URL(redis);
    } catch {
      throw new DroverError('INVALID_OPTION', `redis: expected a redis:// or rediss:// URL, got ${JSON.stringify(redactUrl(redis))}`);
    }
    if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
      throw new DroverError('INVALID_OPTION', `redis: expected a redis:// or rediss:// URL, got ${JSON.stringify(redactUrl(redis))}`);
    }
  } else if (typeof redis !== 'object' || redis === null) {
    throw new DroverError('INVALID_OPTION', `redis: expected a URL, ioredis options or a connection, got ${String(redis)}`);
  }
  const cluster = o.cluster ?? DEFAULT_CLIENT_OPTIONS.cluster;
  if (typeof cluster !== 'boolean') {
    throw new DroverError('INVALID_OPTION', `cluster: expected a boolean, got ${JSON.stringify(cluster)}`);
  }
  return { redis, cluster, prefix: o.prefix ?? DEFAULT_CLIENT_OPTIONS.prefix, maxPayloadBytes: normalizeMaxPayloadBytes(o.maxPayloadBytes) };
}
