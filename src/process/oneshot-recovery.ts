import type { PoolHealthState } from './pool-health.js';
import { RestartBackoff } from './restart-backoff.js';

/** The first probe of an unhealthy one-shot pool comes this long after it turned unhealthy. */
export const PROBE_FIRST_MS = 5000;

/**
 * A one-shot pool has no process to restart: once unhealthy (`maxFailedStarts` failed starts in
 * a row) it would take no task until the supervisor restarts, even after the handler is fixed.
 * So after a backoff (PROBE_FIRST_MS, doubling up to the maximum restart delay) the pool turns
 * `starting` and lets one task through as a probe: if its handler answers, the pool is healthy
 * again; if it fails to start, unhealthy again, and the next probe waits twice as long.
 */
export class OneshotRecovery {
  readonly #health: PoolHealthState;
  readonly #backoff: RestartBackoff;
  #timer: NodeJS.Timeout | undefined;

  constructor(health: PoolHealthState, maxRestartDelayMs: number) {
    this.#health = health;
    // Each probe costs a task an attempt: probe far less often than a long-lived slot restarts.
    this.#backoff = new RestartBackoff(PROBE_FIRST_MS, Math.max(PROBE_FIRST_MS, maxRestartDelayMs), Infinity);
    health.on('unhealthy', () => this.#scheduleProbe());
    health.on('healthy', () => this.#backoff.reset());
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #scheduleProbe(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#health.health === 'unhealthy') this.#health.set('starting');
    }, this.#backoff.next(0));
    this.#timer.unref(); // a probe never keeps the process alive
  }
}
