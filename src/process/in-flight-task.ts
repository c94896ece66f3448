import type { ResultMessage } from '../protocol/messages.js';
import { toTaskError } from '../protocol/wire-error.js';
import type { AttemptOutcome, TaskAttempt, TaskError } from '../queue/task.js';

/**
 * One task sent to a process. Its outcome can be settled before the handler answers
 * (timeout, cancel): the entry then stays in the process's table, holding the slot,
 * until the handler answers late or is killed.
 *
 * A task written ahead (pipelining) is *waiting* until the handler has a free slot for it;
 * only start() begins its timeout and its duration.
 */
export class InFlightTask {
  readonly attempt: TaskAttempt;
  /** When its line was written to the handler's stdin. */
  readonly writtenAt = Date.now();
  /** When it started (see HandlerProcess: fewer than `concurrency` earlier tasks unanswered); undefined while waiting. */
  startedAt: number | undefined;
  /** startedAt as performance.now(), for sub-millisecond durations (--pipeline auto). */
  startedPrecise: number | undefined;
  readonly outcome: Promise<AttemptOutcome>;
  settled = false;
  /** The last stray stdout line seen while this task ran, quoted in a timeout message. */
  lastStray: string | undefined;
  /** Why that line was not a protocol message ("invalid JSON", …). */
  lastStrayWhy: string | undefined;
  #resolve!: (outcome: AttemptOutcome) => void;
  readonly #onTimeout: (task: InFlightTask) => void;
  #timeout: NodeJS.Timeout | undefined;
  #cancelGrace: NodeJS.Timeout | undefined;
  /** A cancel grace asked for while waiting: it runs from the start (the handler cannot answer earlier). */
  #deferredGrace: { ms: number; onExpired: () => void } | undefined;

  /** `onTimeout` gets the task: one callback can serve every task of a process. */
  constructor(attempt: TaskAttempt, onTimeout: (task: InFlightTask) => void) {
    this.attempt = attempt;
    this.#onTimeout = onTimeout;
    this.outcome = new Promise((resolve) => {
      this.#resolve = resolve;
    });
  }

  get started(): boolean {
    return this.startedAt !== undefined;
  }

  /** The handler has a slot for it now: its timeout (and a cancel grace asked for while it waited) start. */
  start(): void {
    if (this.startedAt !== undefined) return;
    this.startedAt = Date.now();
    this.startedPrecise = performance.now();
    const timeoutMs = this.attempt.timeoutMs;
    if (!this.settled && timeoutMs && timeoutMs > 0) this.#timeout = setTimeout(this.#onTimeout, timeoutMs, this);
    if (this.#deferredGrace) {
      const { ms, onExpired } = this.#deferredGrace;
      this.#deferredGrace = undefined;
      this.startCancelGrace(ms, onExpired);
    }
  }

  /** Milliseconds since it started; 0 while waiting. */
  elapsed(): number {
    return this.startedAt === undefined ? 0 : Date.now() - this.startedAt;
  }

  /** elapsed() in fractions of a millisecond. */
  elapsedPrecise(): number {
    return this.startedPrecise === undefined ? 0 : performance.now() - this.startedPrecise;
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
    if (!this.started) {
      this.#deferredGrace = { ms, onExpired };
      return;
    }
    clearTimeout(this.#cancelGrace);
    this.#cancelGrace = setTimeout(onExpired, ms);
  }

  cancelTimers(): void {
    this.#deferredGrace = undefined;
    clearTimeout(this.#timeout);
    clearTimeout(this.#cancelGrace);
  }
}
