import { Counter, Histogram, type Registry } from 'prom-client';
import { FAILURE_REASONS } from '../queue/task.js';
import type { SettledAttempt, SupervisorObserver } from '../supervisor/supervisor-observer.js';

/** Attempt durations from 5 ms (a lookup) to 30 min (a long generation). */
export const TASK_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];

/** Outcomes written to Redis; lost leases and stale replies have counters of their own. */
const WRITTEN_RESULTS = ['completed', 'retried', 'failed', 'cancelled', 'requeued'] as const;

export interface TaskMetrics {
  /** The observer to pass to this service's supervisor. */
  observerFor(service: string, queues: readonly string[]): SupervisorObserver;
}

/** Counters and histograms fed by supervisors as attempts settle (this process's work only). */
export function createTaskMetrics(registry: Registry): TaskMetrics {
  const registers = [registry];
  const tasks = new Counter({
    name: 'drover_tasks_total',
    help: 'Attempts this supervisor settled, by result: completed, retried, failed (dead), cancelled, requeued (handed back uncounted)',
    labelNames: ['service', 'queue', 'result'] as const,
    registers,
  });
  const failures = new Counter({
    name: 'drover_task_failures_total',
    help: 'Failed attempts (retried, dead or cancelled) by failure reason',
    labelNames: ['service', 'queue', 'reason'] as const,
    registers,
  });
  const duration = new Histogram({
    name: 'drover_task_duration_seconds',
    help: 'Time an attempt spent in a handler, by outcome (attempts that never reached a handler are not observed)',
    labelNames: ['service', 'queue', 'outcome'] as const,
    buckets: TASK_DURATION_BUCKETS,
    registers,
  });
  const leasesLost = new Counter({
    name: 'drover_leases_lost_total',
    help: 'Attempts whose lease was lost while they ran (outcome not written; another supervisor may run the task)',
    labelNames: ['service', 'queue'] as const,
    registers,
  });
  const staleReplies = new Counter({
    name: 'drover_stale_replies_total',
    help: 'Outcomes Redis refused because their fencing token was stale',
    labelNames: ['service', 'queue'] as const,
    registers,
  });
  const recoveries = new Counter({
    name: 'drover_lease_recoveries_total',
    help: 'Tasks with an expired lease (a dead or partitioned supervisor) that this supervisor\'s recovery sweep moved, by result',
    labelNames: ['service', 'result'] as const,
    registers,
  });

  return {
    observerFor(service, queues) {
      // Zero series up front, so rate() and absent-alerts work before the first task.
      for (const queue of queues) {
        for (const result of WRITTEN_RESULTS) tasks.inc({ service, queue, result }, 0);
        for (const reason of FAILURE_REASONS) failures.inc({ service, queue, reason }, 0);
        leasesLost.inc({ service, queue }, 0);
        staleReplies.inc({ service, queue }, 0);
      }
      for (const result of ['requeued', 'failed', 'cancelled']) recoveries.inc({ service, result }, 0);
      return {
        settled(a: SettledAttempt) {
          const labels = { service, queue: a.queue };
          if (a.result === 'lease_lost') leasesLost.inc(labels);
          else if (a.result === 'stale') staleReplies.inc(labels);
          else tasks.inc({ ...labels, result: a.result });
          if (a.reason !== undefined && (a.result === 'retried' || a.result === 'failed' || a.result === 'cancelled')) failures.inc({ ...labels, reason: a.reason });
          if (a.ran) duration.observe({ ...labels, outcome: a.result }, a.durationMs / 1000);
        },
        recovered(r) {
          recoveries.inc({ service, result: 'requeued' }, r.requeued);
          recoveries.inc({ service, result: 'failed' }, r.failed);
          recoveries.inc({ service, result: 'cancelled' }, r.cancelled);
        },
      };
    },
  };
}
