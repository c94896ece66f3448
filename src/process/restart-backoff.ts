/**
 * Restart delay after a crash: exponential (x2) from `initialMs`, capped at `maxMs`, and reset
 * once a process has stayed up `stableUptimeMs` after ready (PM2's exp-backoff-restart-delay)
 * or has completed a task (see reset()).
 */
export class RestartBackoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #stableUptimeMs: number;
  #nextMs: number;

  constructor(initialMs: number, maxMs: number, stableUptimeMs: number) {
    this.#initialMs = initialMs;
    this.#maxMs = maxMs;
    this.#stableUptimeMs = stableUptimeMs;
    this.#nextMs = initialMs;
  }

  /**
   * A task completed in this slot: the handler works, so its next crash restarts after the
   * initial delay. Without this, a handler killed by 1% of its tasks (poison inputs, hangs
   * killed at their timeout) would wait ever longer restarts, up to maxMs, between good tasks.
   */
  reset(): void {
    this.#nextMs = this.#initialMs;
  }

  /** The delay before the next restart of a process that was ready for `uptimeMs` (0 if never ready). */
  next(uptimeMs: number): number {
    if (uptimeMs >= this.#stableUptimeMs) this.#nextMs = this.#initialMs;
    const delay = this.#nextMs;
    this.#nextMs = Math.min(this.#maxMs, Math.max(1, this.#nextMs * 2));
    return delay;
  }
}
