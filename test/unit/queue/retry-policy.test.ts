import { describe, expect, it } from 'vitest';
import { normalizeBackoff } from '../../../src/queue/backoff.js';
import { retryDelayMs, shouldRetry } from '../../../src/queue/retry-policy.js';

describe('retry policy', () => {
  const exp = normalizeBackoff({ baseMs: 100, maxMs: 1000, jitter: false });

  it('doubles from the base and caps at maxMs', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(n, exp))).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('applies full jitter within [0, computed]', () => {
    const b = normalizeBackoff({ baseMs: 100, maxMs: 1000 });
    expect(retryDelayMs(3, b, undefined, () => 0)).toBe(0);
    expect(retryDelayMs(3, b, undefined, () => 0.5)).toBe(200);
    expect(retryDelayMs(3, b, undefined, () => 0.999)).toBeLessThanOrEqual(400);
  });

  it('lets retry_after_ms win', () => {
    expect(retryDelayMs(1, exp, 5000)).toBe(5000);
  });

  it('uses a fixed delay when asked', () => {
    const fixed = normalizeBackoff({ type: 'fixed', baseMs: 250, jitter: false });
    expect([1, 5].map((n) => retryDelayMs(n, fixed))).toEqual([250, 250]);
  });

  it('rejects a bad option by name', () => {
    expect(() => normalizeBackoff({ baseMs: -1 })).toThrow(/backoff.baseMs: expected an integer >= 0, got -1/);
    expect(() => normalizeBackoff({ type: 'linear' as 'fixed' })).toThrow(/backoff.type/);
  });

  it('retries only retryable failures with retries left', () => {
    const fail = { ok: false as const, error: { message: 'x', reason: 'error' as const }, retry: true, durationMs: 1 };
    expect(shouldRetry(fail, 0, 2)).toBe(true);
    expect(shouldRetry(fail, 2, 2)).toBe(false);
    expect(shouldRetry({ ...fail, retry: false }, 0, 2)).toBe(false);
    expect(shouldRetry({ ok: true, result: 1, durationMs: 1 }, 0, 2)).toBe(false);
  });
});
