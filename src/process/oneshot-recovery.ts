import type { PoolHealthState } from './pool-health.js';
import { RestartBackoff } from './restart-backoff.js';

/** The first probe of an unhealthy one-shot pool comes this long after it turned unhealthy. */
export const PROBE_FIRST_MS = 5000;

/**
 * A one-shot pool has no process to restart: once unhealthy (`maxFailedStarts` failed starts in
 * a row) it would take no task until the supervisor restarts, even after the handler is fixed.
 * So after a backoff (PROBE_FIRST_MS, doubling up to the maximum restart delay) it lets one task
 * through as a probe, staying `unhealthy` meanwhile (health checks keep saying so): if the
 * handler answers, the pool is healthy again; if it fails to start, the next probe waits twice
 * as long.
 */
export class OneshotRecovery {
  readonly #health: PoolHealthState;
  readonly #backoff: RestartBackoff;
  readonly #onProbe: () => void;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  /** A probe may run: the pool accepts one task although unhealthy. */
  probing = false;

  /** `onProbe`: a probe may start now (the pool wakes whoever hands it tasks). */
  constructor(health: PoolHealthState, maxRestartDelayMs: number, onProbe: () => void) {
    this.#health = health;
    this.#onProbe = onProbe;
    // Each probe costs a task an attempt: probe far less often than a long-lived slot restarts.
    this.#backoff = new RestartBackoff(PROBE_FIRST_MS, Math.max(PROBE_FIRST_MS, maxRestartDelayMs), Infinity);
    health.on('healthy', () => {
      this.probing = false;
      this.#backoff.reset();
    });
  }

  /** After each failed start: once the pool is unhealthy, (re)schedule the next probe. */
  afterFailedStart(): void {
    if (this.#stopped || this.#health.health !== 'unhealthy') return;
    this.probing = false;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#stopped || this.#health.health !== 'unhealthy') return;
      this.probing = true;
      this.#onProbe();
    }, this.#backoff.next(0));
    this.#timer.unref(); // a probe never keeps the process alive
  }

  stop(): void {
    this.#stopped = true;
    this.probing = false;
    clearTimeout(this.#timer);
  }
}
