/**
 * `pipeline: 'auto'` (the default): a long-lived handler whose tasks are short gets one task
 * written ahead into its stdin, so it reads the next one the moment it answers instead of
 * waiting for the supervisor to hear the reply and write again (for sub-millisecond tasks that
 * wait is most of a task's cost: 1.2-1.25x the throughput in docs/performance.md). A task that
 * is not short turns it off at once, so long tasks (inference of 10 ms and up) keep the safe
 * behaviour of `pipeline: 0`: a task waits in the supervisor, where another handler or another
 * supervisor can take it, and goes back to the queue on shutdown. What a written-ahead task can
 * cost is bounded by the length of the task it waits behind: under SHORT_TASK_MS, except once,
 * for the first long task after a run of short ones.
 */

/** Consecutive short tasks before a task is written ahead. */
export const SHORT_STREAK = 16;
/** A task is short when it took at most this long (Date.now() ticks: under ~2 ms). */
export const SHORT_TASK_MS = 1;

export class AutoWriteAhead {
  #streak = 0;

  /** Tasks to write ahead now: 1 after SHORT_STREAK short tasks in a row, else 0. */
  get depth(): 0 | 1 {
    return this.#streak >= SHORT_STREAK ? 1 : 0;
  }

  /** Notes how long an answered task ran; true when that changed the depth. */
  note(durationMs: number): boolean {
    const before = this.depth;
    this.#streak = durationMs <= SHORT_TASK_MS ? Math.min(this.#streak + 1, SHORT_STREAK) : 0;
    return this.depth !== before;
  }
}
