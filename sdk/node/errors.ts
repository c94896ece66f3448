/** The error classes of the handler SDK; each maps to a distinct reply. */

const RETRYABLE_BRAND = Symbol.for('drover.handler.RetryableError');

export interface RetryableErrorOptions {
  /**
   * Ask the supervisor to wait this long before the next attempt (for example the
   * `Retry-After` of an upstream 429). Sent as `"retry_after_ms"`.
   * @defaultValue undefined (the queue's backoff policy decides)
   */
  retryAfterMs?: number;
  /** The underlying error, kept as `error.cause`. */
  cause?: unknown;
}

/**
 * A transient failure: the reply carries `"retry":true` (and `"retry_after_ms"` when given),
 * so the supervisor schedules another attempt within the task's retry budget. Any other
 * thrown value is a permanent failure (`"retry":false`). Same name as runqy-python's.
 */
export class RetryableError extends Error {
  readonly retryAfterMs: number | undefined;

  constructor(message: string, options: RetryableErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    const { retryAfterMs } = options;
    if (retryAfterMs !== undefined && (typeof retryAfterMs !== 'number' || !Number.isFinite(retryAfterMs) || retryAfterMs < 0)) {
      throw new TypeError(
        `RetryableError: option "retryAfterMs" must be a finite number >= 0, got ${String(retryAfterMs)}`,
      );
    }
    this.name = 'RetryableError';
    this.retryAfterMs = retryAfterMs === undefined ? undefined : Math.round(retryAfterMs);
    Object.defineProperty(this, RETRYABLE_BRAND, { value: true });
  }
}

/** True for a RetryableError, also one created by another copy of this SDK in the same process. */
export function isRetryableError(error: unknown): error is RetryableError {
  return error instanceof RetryableError || (typeof error === 'object' && error !== null && RETRYABLE_BRAND in error);
}

/**
 * The abort reason of `info.signal` when the supervisor sends `{"type":"cancel"}`, and the error
 * of a task cancelled before it started. `signal.throwIfAborted()` throws it.
 */
export class CancelledError extends Error {
  constructor(message = 'task cancelled by the supervisor') {
    super(message);
    this.name = 'CancelledError';
  }
}

/** A result, partial output or progress message that JSON cannot represent (BigInt, cycle). */
export class SerializationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SerializationError';
  }
}

/**
 * A batched task function did not return an array with one result per payload. Every item of
 * that batch fails with it (`"retry":false`): which result belongs to which task is unknown.
 */
export class BatchResultError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BatchResultError';
  }
}
