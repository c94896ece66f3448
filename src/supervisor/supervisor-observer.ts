import type { RecoverResult } from '../queue/redis/leases.js';
import type { AttemptOutcome, FailureReason } from '../queue/task.js';

/** What became of one attempt, as this supervisor wrote it to Redis (or why it did not). */
export type AttemptResult =
  | 'completed'
  /** Failed and scheduled for another attempt. */
  | 'retried'
  /** Failed for good (dead). */
  | 'failed'
  | 'cancelled'
  /** Handed back to the queue without counting an attempt (shutdown, unhealthy handler). */
  | 'requeued'
  /** The lease was lost while it ran: its outcome was not written. */
  | 'lease_lost'
  /** Redis refused the outcome: the fencing token was stale (another attempt owns the task). */
  | 'stale';

export const ATTEMPT_RESULTS: readonly AttemptResult[] = ['completed', 'retried', 'failed', 'cancelled', 'requeued', 'lease_lost', 'stale'];

export interface SettledAttempt {
  queue: string;
  result: AttemptResult;
  /** Why the attempt failed, when it did. */
  reason?: FailureReason;
  /** Time in the handler; 0 when it never reached one. */
  durationMs: number;
  /** False when the attempt never reached a handler. */
  ran: boolean;
}

/** Optional hooks a supervisor calls for metrics. Called synchronously; must not throw. */
export interface SupervisorObserver {
  settled?(attempt: SettledAttempt): void;
  /** A recovery sweep run by this supervisor moved tasks whose lease had expired. */
  recovered?(result: RecoverResult): void;
}

export function settledAttempt(queue: string, outcome: AttemptOutcome, result: AttemptResult): SettledAttempt {
  if (outcome.ok) return { queue, result, durationMs: outcome.durationMs, ran: true };
  return { queue, result, reason: outcome.error.reason, durationMs: outcome.durationMs, ran: outcome.notStarted !== true };
}
