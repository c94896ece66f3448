import type { Logger } from 'pino';
import type { QueueStats } from '../queue/redis/stats.js';
import type { SupervisorRecord } from '../queue/redis/supervisors.js';

/** The part of the Redis backend queue depth needs. */
export interface QueueStatsSource {
  stats(queue: string, options?: { supervisors?: readonly SupervisorRecord[] }): Promise<QueueStats>;
}

/** Depth needs no supervisor count: an empty registry spares a registry read per queue. */
const NO_REGISTRY_READ = { supervisors: [] } as const;

export const QUEUE_DEPTH_STATES = ['pending', 'scheduled', 'active', 'dead'] as const;
export type QueueDepth = Record<(typeof QUEUE_DEPTH_STATES)[number], number>;

export interface QueueDepthSnapshot {
  /** False when the last read failed or timed out (the counts are then empty, never stale). */
  up: boolean;
  depth: Map<string, QueueDepth>;
}

export interface QueueDepthReader {
  read(): Promise<QueueDepthSnapshot>;
}

/**
 * Queue depth for the scrape, at a bounded cost to Redis: one stats script per queue, at most
 * once per `maxAgeMs` however many scrapers there are (concurrent scrapes share one read), and a
 * scrape never waits longer than `timeoutMs` for it.
 */
export function createQueueDepthReader(p: {
  source: QueueStatsSource;
  queues: () => readonly string[];
  maxAgeMs: number;
  timeoutMs: number;
  logger: Logger;
}): QueueDepthReader {
  let last: { at: number; snapshot: QueueDepthSnapshot } | undefined;
  let inFlight: Promise<QueueDepthSnapshot> | undefined;
  let wasUp = true;

  const readNow = async (): Promise<QueueDepthSnapshot> => {
    const queues = [...new Set(p.queues())];
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${p.timeoutMs} ms`)), p.timeoutMs);
    });
    try {
      const all = await Promise.race([Promise.all(queues.map((q) => p.source.stats(q, NO_REGISTRY_READ))), timeout]);
      const depth = new Map<string, QueueDepth>();
      for (const s of all) depth.set(s.queue, { pending: s.counts.pending, scheduled: s.counts.scheduled, active: s.counts.active, dead: s.counts.failed });
      if (!wasUp) p.logger.info('queue depth readable again');
      wasUp = true;
      return { up: true, depth };
    } catch (error) {
      // Once per outage, not once per scrape.
      if (wasUp) p.logger.warn({ error: (error as Error).message }, 'cannot read queue depth for /metrics (is Redis reachable?)');
      wasUp = false;
      return { up: false, depth: new Map() };
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    read() {
      if (last && Date.now() - last.at < p.maxAgeMs) return Promise.resolve(last.snapshot);
      inFlight ??= readNow().then((snapshot) => {
        last = { at: Date.now(), snapshot };
        inFlight = undefined;
        return snapshot;
      });
      return inFlight;
    },
  };
}
