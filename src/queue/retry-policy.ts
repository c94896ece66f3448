import type { BackoffOptions } from './backoff.js';
import type { AttemptOutcome } from './task.js';

/**
 * Delay before retry number `retryCount + 1` (retryCount = attempts already failed, >= 1).
 * A handler's `retry_after_ms` (an upstream 429) wins over the computed backoff.
 */
export function retryDelayMs(retryCount: number, backoff: Required<BackoffOptions>, retryAfterMs?: number, random: () => number = Math.random): number {
  if (retryAfterMs !== undefined) return Math.max(0, retryAfterMs);
  const raw = backoff.type === 'fixed' ? backoff.baseMs : backoff.baseMs * 2 ** Math.max(0, retryCount - 1);
  const capped = Math.min(backoff.maxMs, raw);
  return backoff.jitter ? Math.floor(capped * random()) : capped; // as lua/fail.lua computes it for Redis
}

/** Whether a failed attempt gets another one: the handler (or crash/timeout) asked, and retries remain. */
export function shouldRetry(outcome: AttemptOutcome, retryCount: number, maxRetry: number): boolean {
  return !outcome.ok && outcome.retry && retryCount < maxRetry;
}
