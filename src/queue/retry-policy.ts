import { DroverError } from '../errors.js';
import type { AttemptOutcome } from './task.js';

/** How long to wait before the next attempt. */
export interface BackoffOptions {
  /** @defaultValue 'exponential' */
  type?: 'exponential' | 'fixed';
  /** First delay (exponential) or every delay (fixed). @defaultValue 1000 */
  baseMs?: number;
  /** Upper bound of any delay. @defaultValue 300000 (5 min) */
  maxMs?: number;
  /** Full jitter (AWS's "exponential backoff and jitter"): a random delay in [0, computed]. @defaultValue true */
  jitter?: boolean;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = { type: 'exponential', baseMs: 1000, maxMs: 300_000, jitter: true };

export function normalizeBackoff(options: BackoffOptions = {}): Required<BackoffOptions> {
  const o = { ...DEFAULT_BACKOFF, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
  if (o.type !== 'exponential' && o.type !== 'fixed') {
    throw new DroverError('INVALID_OPTION', `option backoff.type must be "exponential" or "fixed", got ${JSON.stringify(o.type)}`);
  }
  for (const key of ['baseMs', 'maxMs'] as const) {
    if (!Number.isFinite(o[key]) || o[key] < 0) {
      throw new DroverError('INVALID_OPTION', `option backoff.${key} must be a number >= 0, got ${JSON.stringify(o[key])}`);
    }
  }
  return o;
}

/**
 * Delay before retry number `retryCount + 1` (retryCount = attempts already failed, >= 1).
 * A handler's `retry_after_ms` (an upstream 429) wins over the computed backoff.
 */
export function retryDelayMs(retryCount: number, backoff: Required<BackoffOptions>, retryAfterMs?: number, random: () => number = Math.random): number {
  if (retryAfterMs !== undefined) return Math.max(0, retryAfterMs);
  const raw = backoff.type === 'fixed' ? backoff.baseMs : backoff.baseMs * 2 ** Math.max(0, retryCount - 1);
  const capped = Math.min(backoff.maxMs, raw);
  return Math.round(backoff.jitter ? capped * random() : capped);
}

/** Whether a failed attempt gets another one: the handler (or crash/timeout) asked, and retries remain. */
export function shouldRetry(outcome: AttemptOutcome, retryCount: number, maxRetry: number): boolean {
  return !outcome.ok && outcome.retry && retryCount < maxRetry;
}
