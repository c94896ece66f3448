/**
 * `pipeline: 'auto'` (the default): a long-lived handler whose tasks are short gets tasks
 * written ahead into its stdin, so it reads the next one the moment it answers instead of
 * waiting for the supervisor to hear the reply and write again. For tasks well under a
 * millisecond that wait is most of a task's cost, and one task written ahead does not cover
 * it: how many are is sized so that the last one waits about WRITE_AHEAD_BUDGET_MS behind the
 * others (2 ms / the mean short task, 1 to MAX_WRITE_AHEAD). A task that is not short turns it
 * off at once, so long tasks (inference of 10 ms and up) keep the behaviour of `pipeline: 0`:
 * a task waits in the supervisor, where another handler or another supervisor can take it, and
 * goes back to the queue on shutdown. What write-ahead can cost is the depth's tasks waiting
 * behind the first long task after a run of short ones, once.
 */

/** Consecutive short tasks before tasks are written ahead (and between two changes of depth). */
export const SHORT_STREAK = 16;
/**
 * The same, for a process that replaces one that crashed soon after it was ready: the tasks
 * written ahead into a process that crashes go back to the queue, and a handler that crashes
 * often would have them caught in its next crash too (each is charged `handler_crash` the
 * second time, docs/guarantees.md). A handler that crashes every few hundred tasks or more
 * often is therefore never written ahead to.
 */
export const SHORT_STREAK_AFTER_CRASH = 256;
/** A task is short when it took less than this long. */
export const SHORT_TASK_MS = 2;
/** About how long the last task written ahead may wait behind the others (mean short task × depth). */
export const WRITE_AHEAD_BUDGET_MS = 2;
/** Most tasks written ahead into one process. */
export const MAX_WRITE_AHEAD = 32;

export class AutoWriteAhead {
  /** Short tasks in a row before the first write-ahead. */
  readonly #first: number;
  #streak = 0;
  /** Moving mean of the short tasks' durations (ms), over about the last SHORT_STREAK. */
  #meanMs: number | undefined;
  #depth = 0;

  constructor(afterCrash = false) {
    this.#first = afterCrash ? SHORT_STREAK_AFTER_CRASH : SHORT_STREAK;
  }

  /** Tasks to write ahead now. */
  get depth(): number {
    return this.#depth;
  }

  /** Notes how long an answered task ran (ms, fractional); true when that changed the depth. */
  note(durationMs: number): boolean {
    const before = this.#depth;
    if (durationMs >= SHORT_TASK_MS) {
      this.#streak = 0;
      this.#depth = 0;
    } else {
      this.#meanMs = this.#meanMs === undefined ? durationMs : this.#meanMs + (durationMs - this.#meanMs) / SHORT_STREAK;
      this.#streak += 1;
      // Resized once per SHORT_STREAK short tasks: the pool's capacity follows the depth, and a
      // depth that moved with every task would wake the supervisor's claim loop with it.
      if (this.#streak >= this.#first && this.#streak % SHORT_STREAK === 0) {
        this.#depth = Math.max(1, Math.min(MAX_WRITE_AHEAD, Math.floor(WRITE_AHEAD_BUDGET_MS / Math.max(this.#meanMs, 0.001))));
      }
    }
    return this.#depth !== before;
  }
}
