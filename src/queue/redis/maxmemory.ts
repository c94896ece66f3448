/** The start-up check: eviction can delete lease and task keys, so Redis must not evict. */
import type { Cluster, Redis } from 'ioredis';
import { isCluster } from './context.js';
import type { RedisClient } from './scripts.js';

async function policyOf(node: Redis): Promise<string | null> {
  try {
    const reply = await node.config('GET', 'maxmemory-policy');
    const value = Array.isArray(reply) ? reply[1] : undefined;
    return typeof value === 'string' ? value : null;
  } catch {
    return null; // CONFIG refused (managed Redis, ACL): nothing to say
  }
}

/** Warning text when a node's maxmemory-policy is not noeviction; null when fine or unknown. */
export async function checkMaxmemoryPolicy(redis: RedisClient): Promise<string | null> {
  const nodes = isCluster(redis) ? (redis as Cluster).nodes('master') : [redis as Redis];
  const policies = await Promise.all(nodes.map(policyOf));
  const bad = [...new Set(policies.filter((p): p is string => p !== null && p !== 'noeviction'))];
  if (bad.length === 0) return null;
  return (
    `Redis maxmemory-policy is ${bad.join(', ')}, not noeviction: under memory pressure Redis may evict ` +
    `drover's task, lease or index keys and lose tasks. Set "maxmemory-policy noeviction".`
  );
}
