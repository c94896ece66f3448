/** Default cap of a hold: covers a tiny task's whole run, and bounds what a second hand-off waits. */
export const REARM_HOLD_MS = 1;

/**
 * After a task is handed over (dispatch.lua), the supervisor's next blocking wait on its inbox
 * goes out once that task's outcome is written, or after `holdMs`, whichever comes first.
 *
 * Why: sent at once, the wait (a BLPOP) reaches Redis while the handler runs the task, and on a
 * small machine waking Redis and this process then competes with the handler for the CPU: the
 * latency of one-at-a-time tasks on 2 cores was 2–6% higher (docs/performance.md). Nothing is
 * lost while holding: the enqueue that finds our idle entry pushes the task on our inbox list,
 * and the wait pops it at most `holdMs` later.
 *
 * Only the first task held gets a hold: with more running (a burst into an idle pool), the next
 * hand-off is taken at once, so a burst is never run one task at a time.
 */
export class RearmHold {
  #handedOver = false;
  #release: (() => void) | undefined;

  constructor(readonly holdMs = REARM_HOLD_MS) {}

  /** A task was handed over from the inbox. */
  handedOver(): void {
    this.#handedOver = true;
  }

  /** Whether the next wait should be held back: a hand-off since the last call, and it is the one task held. */
  due(heldCount: number): boolean {
    const due = this.#handedOver && heldCount === 1;
    this.#handedOver = false;
    return due;
  }

  /** Resolves on release() or after holdMs; returns the release function too, for the supervisor's nudge. */
  hold(): { done: Promise<void>; release: () => void } {
    let release!: () => void;
    const done = new Promise<void>((resolve) => {
      const timer = setTimeout(() => release(), this.holdMs);
      release = () => {
        clearTimeout(timer);
        if (this.#release === release) this.#release = undefined;
        resolve();
      };
    });
    this.#release = release;
    return { done, release };
  }

  /** A task's outcome was written (or is being): the hold, if any, ends now. */
  release(): void {
    this.#release?.();
  }
}
