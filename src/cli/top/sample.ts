/** One reading of the queues and supervisors `drover top` shows; rates come from two readings. */
import type { RedisBackend } from '../../queue/redis/backend.js';
import type { QueueStats } from '../../queue/redis/stats.js';
import type { SupervisorRecord } from '../../queue/redis/supervisors.js';

export interface TopSample {
  /** When the reading finished (epoch ms, this machine's clock: only differences matter). */
  at: number;
  queues: QueueStats[];
  supervisors: SupervisorRecord[];
}

/** The queues given (a filter), else every queue a live supervisor serves, sorted. */
export function queuesToWatch(given: readonly string[], supervisors: readonly SupervisorRecord[]): string[] {
  if (given.length > 0) return [...new Set(given)];
  return [...new Set(supervisors.flatMap((s) => s.queues))].sort();
}

export async function takeSample(backend: RedisBackend, given: readonly string[], now: () => number = Date.now): Promise<TopSample> {
  const supervisors = await backend.listSupervisors();
  const names = queuesToWatch(given, supervisors);
  const queues = await Promise.all(names.map((name) => backend.stats(name, { supervisors })));
  supervisors.sort((a, b) => a.id.localeCompare(b.id));
  return { at: now(), queues, supervisors };
}
