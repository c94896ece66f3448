/**
 * One task's (or batch's) cancellation. The AbortController behind `info.signal` is made only
 * when the task function reads the signal: most never do, and one per task was ~4 µs of a tiny
 * task's ~40 µs in the handler, plus its garbage.
 */
import type { CancelledError } from './errors.js';

export class TaskCancel {
  #controller: AbortController | undefined;
  #reason: CancelledError | undefined;

  /** True once the supervisor cancelled it. */
  get aborted(): boolean {
    return this.#reason !== undefined;
  }

  /** The signal of `info.signal`: made on first read, already aborted if the cancel came first. */
  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#reason) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** The first call wins; later ones change nothing. */
  abort(reason: CancelledError): void {
    if (this.#reason) return;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }
}
