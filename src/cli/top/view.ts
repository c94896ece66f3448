/**
 * What one frame of `drover top` shows, computed from the current reading and the one before:
 * depths as read, and completions / failures / retries per second from the difference of the
 * queues' total counters. With no earlier reading (the first frame, `--once`) the rates are
 * those of the last minute, from Redis' per-minute counters.
 */
import type { SupervisorRecord } from '../../queue/redis/supervisors.js';
import { windowCounts } from '../stats-view.js';
import type { TopSample } from './sample.js';

export interface QueueRow {
  queue: string;
  pending: number;
  scheduled: number;
  active: number;
  /** Tasks in the dead set (failed for good, still kept). */
  dead: number;
  /** Per second; undefined when the queue was not in the earlier reading. */
  completedPerSec?: number;
  /** Tasks that ended dead, per second. */
  failedPerSec?: number;
  /** Attempts rescheduled for a retry, per second (unknown for the last-minute fallback). */
  retriedPerSec?: number;
  /** Live supervisors serving the queue. */
  supervisors: number;
}

export interface TopView {
  /** When the reading was taken (epoch ms). */
  at: number;
  prefix: string;
  intervalMs: number;
  /** The span the rates cover: ms between the two readings, or 'minute' (the fallback). */
  rateWindow: number | 'minute';
  queues: QueueRow[];
  supervisors: SupervisorRecord[];
  /** Whether queues were named with -q (else: discovered from the supervisors). */
  filtered: boolean;
  /** The last reading failed: the frame shows the reading before it and this message. */
  error?: string;
}

function perSecond(now: number, before: number, ms: number): number {
  return Math.max(0, now - before) / (ms / 1000);
}

export function toTopView(current: TopSample, previous: TopSample | undefined, frame: { prefix: string; intervalMs: number; filtered: boolean }): TopView {
  const elapsed = previous ? current.at - previous.at : 0;
  const byName = new Map(previous?.queues.map((q) => [q.queue, q]));
  const useDeltas = previous !== undefined && elapsed > 0;
  const queues = current.queues.map((s): QueueRow => {
    const row: QueueRow = {
      queue: s.queue,
      pending: s.counts.pending,
      scheduled: s.counts.scheduled,
      active: s.counts.active,
      dead: s.counts.failed,
      supervisors: s.supervisors,
    };
    if (useDeltas) {
      const before = byName.get(s.queue);
      if (before) {
        row.completedPerSec = perSecond(s.totals.completed, before.totals.completed, elapsed);
        row.failedPerSec = perSecond(s.totals.failed, before.totals.failed, elapsed);
        row.retriedPerSec = perSecond(s.totals.retried, before.totals.retried, elapsed);
      }
    } else {
      const minute = windowCounts(s.throughput, 1, current.at);
      row.completedPerSec = minute.completed / 60;
      row.failedPerSec = minute.failed / 60;
    }
    return row;
  });
  return {
    at: current.at,
    prefix: frame.prefix,
    intervalMs: frame.intervalMs,
    rateWindow: useDeltas ? elapsed : 'minute',
    queues,
    supervisors: current.supervisors,
    filtered: frame.filtered,
  };
}
