/** Shapes shared by every task source (batch input, Redis) and the process layer. */

export type TaskState = 'pending' | 'scheduled' | 'active' | 'completed' | 'failed' | 'cancelled';

/** Why an attempt failed. Visible in `get`, in batch output and in metrics. */
export type FailureReason =
  | 'error'
  | 'timeout'
  | 'handler_crash'
  | 'lease_lost'
  | 'load_failed'
  | 'cancelled';

export const FAILURE_REASONS: readonly FailureReason[] = [
  'error',
  'timeout',
  'handler_crash',
  'lease_lost',
  'load_failed',
  'cancelled',
];

/** An error as reported by a handler or by the supervisor on its behalf. */
export interface TaskError {
  message: string;
  type?: string;
  stack?: string;
  reason: FailureReason;
}

/** One attempt of one task, as handed to the process layer. */
export interface TaskAttempt {
  id: string;
  payload: unknown;
  /**
   * The payload as JSON text, when the source already holds it (a Redis task): written to the
   * handler verbatim instead of re-serialising `payload`. Must be the JSON of `payload`.
   */
  payloadJson?: string;
  /** Task type / name (runqy's `type`); optional. */
  type?: string;
  queue?: string;
  /** Attempts already failed (runqy's `retry_count`). */
  retryCount: number;
  /** Maximum retries after the first attempt (runqy's `max_retry`). */
  maxRetry: number;
  /** Attempt timeout in ms; 0 or undefined = none. */
  timeoutMs?: number;
  meta?: Record<string, unknown>;
}

/** The outcome of one attempt: one shape for success and failure. */
export type AttemptOutcome =
  | { ok: true; result: unknown; durationMs: number }
  | {
      ok: false;
      error: TaskError;
      /** The handler (or the supervisor, for crashes and timeouts) asks for another attempt. */
      retry: boolean;
      retryAfterMs?: number;
      durationMs: number;
      /** Never reached a handler (the pool stopped or became unhealthy first): requeue, count nothing. */
      notStarted?: boolean;
      /** Stopped by the supervisor's own shutdown, not by the handler: requeue without counting an attempt. */
      interrupted?: boolean;
    };

/** Progress and partial output a handler streams while it works. */
export type TaskEvent =
  | { type: 'progress'; taskId: string; progress: number; message?: string }
  | { type: 'partial'; taskId: string; data: unknown };
