import type { ResultMessage } from '../protocol/messages.js';
import { toTaskError } from '../protocol/wire-error.js';
import type { AttemptOutcome, TaskAttempt, TaskError } from '../queue/task.js';

/**
 * One task sent to a process. Its outcome can be settled before the handler answers
 * (timeout, cancel): the entry then stays in the process's table, holding the slot,
 * until the handler answers late or is killed.
 */
export class InFlightTask {
  readonly attempt: TaskAttempt;
  readonly startedAt = Date.now();
  readonly outcome: Promise<AttemptOutcome>;
  settled = false;
  /** The last stray stdout line seen while this task ran, quoted in a timeout message. */
  lastStray: string | undefined;
  /** Why that line was not a protocol message ("invalid JSON", …). */
  lastStrayWhy: string | undefined;
  #resolve!: (outcome: AttemptOutcome) => void;
  #timeout: NodeJS.Timeout | undefined;
  #cancelGrace: NodeJS.Timeout | undefined;

  constructor(attempt: TaskAttempt, onTimeout: () => void) {
    this.attempt = attempt;
    this.outcome = new Promise((resolve) => {
      this.#resolve = resolve;
    });
    if (attempt.timeoutMs && attempt.timeoutMs > 0) this.#timeout = setTimeout(onTimeout, attempt.timeoutMs);
  }

  elapsed(): number {
    return Date.now() - this.startedAt;
  }

  settle(outcome: AttemptOutcome): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.#timeout);
    this.#resolve(outcome);
  }

  /** Settle as a failed attempt the supervisor observed (timeout, crash, protocol violation). */
  fail(error: TaskError, retry: boolean): void {
    this.settle({ ok: false, error, retry, durationMs: this.elapsed() });
  }

  settleFromReply(reply: ResultMessage): void {
    this.cancelTimers();
    const durationMs = this.elapsed();
    const noError = reply.error === undefined || reply.error === null;
    if (noError && reply.retry !== true) {
      this.settle({ ok: true, result: reply.result ?? null, durationMs });
      return;
    }
    const error = noError ? { message: 'handler asked for a retry', reason: 'error' as const } : toTaskError(reply.error!);
    const outcome: AttemptOutcome = { ok: false, error, retry: reply.retry === true, durationMs };
    // Whole milliseconds: the protocol allows 1500.5; queues and timers want integers.
    if (typeof reply.retry_after_ms === 'number') outcome.retryAfterMs = Math.ceil(reply.retry_after_ms);
    this.settle(outcome);
  }

  startCancelGrace(ms: number, onExpired: () => void): void {
    clearTimeout(this.#cancelGrace);
    this.#cancelGrace = setTimeout(onExpired, ms);
  }

  cancelTimers(): void {
    clearTimeout(this.#timeout);
    clearTimeout(this.#cancelGrace);
  }
}
