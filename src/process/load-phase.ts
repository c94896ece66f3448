import { DroverError } from '../errors.js';

/**
 * A process's load phase: a promise that resolves at the ready line and rejects with
 * LOAD_FAILED (a load error line, an exit before ready, the load timeout). Settles once.
 */
export class LoadPhase {
  readonly ready: Promise<void>;
  #resolve!: () => void;
  #reject!: (error: DroverError) => void;
  #timer: NodeJS.Timeout | undefined;

  /** `timeoutMs` 0 = no limit; otherwise `onTimeout` runs if the phase is still open then. */
  constructor(timeoutMs: number, onTimeout: () => void) {
    this.ready = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.ready.catch(() => {}); // observed by the pool; never an unhandled rejection
    if (timeoutMs > 0) this.#timer = setTimeout(onTimeout, timeoutMs);
  }

  succeed(): void {
    clearTimeout(this.#timer);
    this.#resolve();
  }

  fail(message: string): void {
    clearTimeout(this.#timer);
    this.#reject(new DroverError('LOAD_FAILED', message));
  }
}
