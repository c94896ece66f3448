/** Queue statistics: counts per state, totals, failures by reason, throughput, supervisors. */
import { FAILURE_REASONS, type FailureReason, type TaskState } from '../task.js';
import { type BackendContext, runQueueScript } from './context.js';
import { assertQueueName } from './keys.js';
import { asArray, asNumber, asRecord } from './reply.js';
import { listSupervisors, type SupervisorRecord } from './supervisors.js';

export interface ThroughputMinute {
  /** Start of the minute, epoch ms (Redis server clock). */
  minute: number;
  completed: number;
  failed: number;
}

export interface QueueStats {
  queue: string;
  counts: Record<TaskState, number>;
  totals: {
    completed: number;
    /** Tasks that ended dead. */
    failed: number;
    cancelled: number;
    /** Attempts rescheduled for a retry. */
    retried: number;
    /** Replies (complete/fail) dropped because their fencing token was stale. */
    staleReplies: number;
  };
  /** Failed attempts by reason (retried ones included). */
  failuresByReason: Record<FailureReason, number>;
  /** The last 60 minutes, oldest first, the current minute last. */
  throughput: ThroughputMinute[];
  /** Live supervisors serving this queue. */
  supervisors: number;
}

/** `supervisorList`: the registry as the caller already read it (one read for many queues). */
export async function queueStats(ctx: BackendContext, queue: string, supervisorList?: readonly SupervisorRecord[]): Promise<QueueStats> {
  assertQueueName(queue);
  const [reply, supervisors] = await Promise.all([runQueueScript(ctx, 'stats', queue, []), supervisorList ?? listSupervisors(ctx)]);
  const r = asArray(reply);
  const now = asNumber(r[0]);
  const c = asArray(r[1]).map((x) => asNumber(x));
  const totals = asRecord(r[2]);
  const tp = asRecord(r[3]);
  const n = (raw: string | undefined): number => (raw === undefined ? 0 : Number(raw) || 0);
  const failuresByReason = {} as Record<FailureReason, number>;
  for (const reason of FAILURE_REASONS) failuresByReason[reason] = n(totals[`reason:${reason}`]);
  const current = Math.floor(now / 60_000);
  const throughput: ThroughputMinute[] = [];
  for (let m = current - 59; m <= current; m++) {
    throughput.push({ minute: m * 60_000, completed: n(tp[`c:${m}`]), failed: n(tp[`f:${m}`]) });
  }
  return {
    queue,
    counts: {
      pending: c[0] ?? 0,
      scheduled: c[1] ?? 0,
      active: c[2] ?? 0,
      completed: c[3] ?? 0,
      failed: c[4] ?? 0,
      cancelled: c[5] ?? 0,
    },
    totals: {
      completed: n(totals.completed),
      failed: n(totals.failed),
      cancelled: n(totals.cancelled),
      retried: n(totals.retried),
      staleReplies: n(totals.stale),
    },
    failuresByReason,
    throughput,
    supervisors: supervisors.filter((s) => s.queues.includes(queue)).length,
  };
}
