/** What every backend operation needs: the connection, the key space and the scripts. */
import type { Cluster, Redis } from 'ioredis';
import { DroverError } from '../../errors.js';
import { trackConnectionErrors } from './redis-errors.js';
import { KeySpace } from './keys.js';
import { scripts, type LuaScript, type RedisClient, type ScriptArg, type ScriptName } from './scripts.js';

export interface BackendContext {
  readonly redis: RedisClient;
  readonly keys: KeySpace;
  readonly scripts: Readonly<Record<ScriptName, LuaScript>>;
}

export function isCluster(redis: RedisClient): boolean {
  return redis.isCluster === true;
}

export function createContext(redis: RedisClient, prefix: string | undefined): BackendContext {
  const keyPrefix = (redis.options as { keyPrefix?: string }).keyPrefix;
  if (keyPrefix) {
    throw new DroverError(
      'INVALID_OPTION',
      `redis: the connection has keyPrefix ${JSON.stringify(keyPrefix)}; drover builds keys inside Lua scripts, so pass it as the prefix option instead`,
    );
  }
  trackConnectionErrors(redis);
  return { redis, keys: new KeySpace(prefix), scripts: scripts() };
}

/** Runs a queue script with the queue's keys and channels. */
export function runQueueScript(
  ctx: BackendContext,
  name: ScriptName,
  queue: string,
  args: readonly ScriptArg[],
): Promise<unknown> {
  return ctx.scripts[name].run(ctx.redis, ctx.keys.queue(queue), ctx.keys.channels(queue), args);
}

/** Groups items by queue, keeping their order inside each queue. */
export function byQueue<T extends { queue: string }>(items: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const list = out.get(item.queue);
    if (list) list.push(item);
    else out.set(item.queue, [item]);
  }
  return out;
}

/**
 * A dedicated connection for blocking commands (BLPOP, XREAD BLOCK) or pub/sub: same options
 * as the caller's connection, without a command timeout (a blocked command would trip it) and
 * without auto-pipelining.
 */
export function duplicateConnection(redis: RedisClient): RedisClient {
  if (isCluster(redis)) {
    const cluster = redis as Cluster;
    return cluster.duplicate(undefined, {
      enableAutoPipelining: false,
      redisOptions: { ...cluster.options.redisOptions, commandTimeout: undefined, disconnectTimeout: 200 },
    });
  }
  const single = redis as Redis;
  // A blocked read (XREAD BLOCK, BLPOP) is cut by disconnect(): do not linger 2 s on its socket.
  return single.duplicate({ commandTimeout: undefined, enableAutoPipelining: false, disconnectTimeout: 200 });
}
