import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { DroverError } from '../errors.js';

export type PoolHealth = 'starting' | 'healthy' | 'unhealthy' | 'stopped';

export interface PoolHealthEvents {
  healthy: [];
  /** No process is ready any more (the only one crashed and restarts). */
  starting: [];
  unhealthy: [DroverError];
  /** A long-lived process became ready: `capacity` may have grown to its declared concurrency. */
  capacity: [];
}

/**
 * The pool's health: `starting` until a process is ready, `healthy` while one is, `unhealthy`
 * after `maxFailedStarts` consecutive failed starts (reset by any ready), `stopped` at the end.
 */
export class PoolHealthState extends EventEmitter<PoolHealthEvents> {
  health: PoolHealth = 'starting';
  lastLoadError: DroverError | undefined;
  consecutiveFailedStarts = 0;
  readonly #maxFailedStarts: number;
  readonly #logger: Logger;
  #waiters: { resolve: () => void; reject: (e: DroverError) => void }[] = [];

  constructor(maxFailedStarts: number, logger: Logger) {
    super();
    this.#maxFailedStarts = maxFailedStarts;
    this.#logger = logger;
  }

  /** Resolves once healthy; rejects when unhealthy. */
  whenReady(): Promise<void> {
    if (this.health === 'healthy') return Promise.resolve();
    if (this.health === 'unhealthy' && this.lastLoadError) return Promise.reject(this.lastLoadError);
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  started(): void {
    this.consecutiveFailedStarts = 0;
    this.set('healthy');
  }

  failedStart(error: DroverError): void {
    this.lastLoadError = error;
    this.consecutiveFailedStarts += 1;
    this.#logger.error({ failedStarts: this.consecutiveFailedStarts, error: error.message }, 'handler failed to start');
    if (this.consecutiveFailedStarts >= this.#maxFailedStarts && this.health !== 'stopped') {
      const unhealthy = new DroverError('UNHEALTHY', error.message, { cause: error });
      this.lastLoadError = unhealthy;
      this.set('unhealthy', unhealthy);
    }
  }

  set(health: PoolHealth, error?: DroverError): void {
    if (this.health === health || this.health === 'stopped') return;
    this.health = health;
    if (health === 'healthy') {
      for (const w of this.#waiters.splice(0)) w.resolve();
      this.emit('healthy');
    } else if (health === 'starting') {
      this.emit('starting');
    } else if (health === 'unhealthy' && error) {
      for (const w of this.#waiters.splice(0)) w.reject(error);
      this.emit('unhealthy', error);
    }
  }
}
