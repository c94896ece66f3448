/**
 * What `drover stats` shows: the JSON document and the terminal tables, built from the
 * backend's QueueStats (per-minute counters) and the supervisor registry.
 */
import type { QueueStats, ThroughputMinute } from '../queue/redis/stats.js';
import type { SupervisorRecord } from '../queue/redis/supervisors.js';
import { FAILURE_REASONS } from '../queue/task.js';
import { formatAgo } from './format-values.js';
import { formatTable } from './table.js';

export interface WindowCounts {
  completed: number;
  failed: number;
}

export interface QueueStatsView extends Omit<QueueStats, 'throughput'> {
  throughput: { lastMinute: WindowCounts; last5Minutes: WindowCounts };
}

export interface StatsDocument {
  queues: QueueStatsView[];
  supervisors: SupervisorRecord[];
}

/**
 * Completions and failures in the last `minutes` minutes, estimated from per-minute buckets:
 * the current (partial) minute and the full minutes before it count whole, and the oldest
 * bucket counts in proportion to the part of it still inside the window (a sliding window).
 */
export function windowCounts(buckets: readonly ThroughputMinute[], minutes: number, now: number = Date.now()): WindowCounts {
  const current = buckets[buckets.length - 1];
  if (!current) return { completed: 0, failed: 0 };
  const elapsed = Math.min(1, Math.max(0, (now - current.minute) / 60_000));
  let completed = 0;
  let failed = 0;
  buckets.slice(-minutes).forEach((b) => {
    completed += b.completed;
    failed += b.failed;
  });
  const oldest = buckets[buckets.length - 1 - minutes];
  if (oldest) {
    completed += oldest.completed * (1 - elapsed);
    failed += oldest.failed * (1 - elapsed);
  }
  return { completed: Math.round(completed), failed: Math.round(failed) };
}

export function toStatsView(stats: QueueStats, now: number = Date.now()): QueueStatsView {
  const { throughput, ...rest } = stats;
  return { ...rest, throughput: { lastMinute: windowCounts(throughput, 1, now), last5Minutes: windowCounts(throughput, 5, now) } };
}

function section(title: string, table: string): string {
  return table === '' ? '' : `${title}\n${table}`;
}

/** The tables printed on a terminal (and whenever --json is not given). */
export function formatStats(doc: StatsDocument, now: number = Date.now()): string {
  const q = doc.queues;
  const sections = [
    section(
      'Tasks by state (completed, failed and cancelled: those still kept)',
      formatTable(
        ['QUEUE', 'PENDING', 'SCHEDULED', 'ACTIVE', 'COMPLETED', 'FAILED', 'CANCELLED', 'SUPERVISORS'],
        q.map((s) => [s.queue, s.counts.pending, s.counts.scheduled, s.counts.active, s.counts.completed, s.counts.failed, s.counts.cancelled, s.supervisors]),
      ),
    ),
    section(
      'Throughput (tasks finished)',
      formatTable(
        ['QUEUE', 'COMPLETED 1M', 'FAILED 1M', 'COMPLETED 5M', 'FAILED 5M'],
        q.map((s) => [s.queue, s.throughput.lastMinute.completed, s.throughput.lastMinute.failed, s.throughput.last5Minutes.completed, s.throughput.last5Minutes.failed]),
      ),
    ),
    section(
      'Totals since the queue was created',
      formatTable(
        ['QUEUE', 'COMPLETED', 'FAILED', 'CANCELLED', 'RETRIED', 'STALE REPLIES DROPPED'],
        q.map((s) => [s.queue, s.totals.completed, s.totals.failed, s.totals.cancelled, s.totals.retried, s.totals.staleReplies]),
      ),
    ),
    section(
      'Failed attempts by reason (retried ones included)',
      formatTable(
        ['QUEUE', ...FAILURE_REASONS.map((r) => r.toUpperCase())],
        q.map((s) => [s.queue, ...FAILURE_REASONS.map((r) => s.failuresByReason[r])]),
      ),
    ),
    doc.supervisors.length === 0
      ? 'Supervisors alive: none\n'
      : section(
          'Supervisors alive',
          formatTable(
            ['ID', 'HOSTNAME', 'PID', 'QUEUES', 'CONCURRENCY', 'HEALTH', 'ACTIVE', 'LAST SEEN'],
            doc.supervisors.map((s) => [s.id, s.hostname, s.pid, s.queues.join(','), s.concurrency, s.health ?? '-', s.active ?? '-', formatAgo(s.lastSeen, now)]),
          ),
        ),
  ];
  return sections.filter((s) => s !== '').join('\n');
}
