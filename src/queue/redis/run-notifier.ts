/**
 * The wait behind client.run: one subscription per queue and backend, made once and kept, to
 * the queue's `notify:<tag>` channel, where finish.lua announces every task enqueued with this
 * backend's tag (`<id>\n<done message>`, besides the task's own done channel). The
 * subscription is confirmed before the enqueue is sent, so the announcement cannot be missed
 * and the task needs no read after its enqueue: per run, one script call and one message,
 * instead of SUBSCRIBE, the enqueue, a read and UNSUBSCRIBE.
 *
 * A message published while the subscriber reconnects is lost: after a reconnect every run in
 * progress reads its task once. A finish by something that does not announce (a supervisor of
 * a version before this one) is caught by a read every SAFETY_READ_MS.
 */
import { randomBytes } from 'node:crypto';
import { DroverError } from '../../errors.js';
import type { BackendContext } from './context.js';
import { enqueue } from './enqueue.js';
import { makeTaskId } from './keys.js';
import { type EnqueueOptions, nonNegativeMs } from './options.js';
import { guard } from './redis-errors.js';
import type { Subscriber } from './subscriber.js';
import { type TaskInfo, isTerminal } from './task-info.js';
import { getTask } from './task-read.js';
import { MAX_TIMER_MS } from '../../max-timer.js';

/** How often a run reads its task anyway, when no announcement came. */
export const SAFETY_READ_MS = 10_000;

/** A completed task's result, taken from its announcement (the task was not read). */
export interface InlineResult {
  inline: true;
  result: unknown;
}

/** A done message `completed\n<result JSON>` (finish.lua: results up to C.DONE_RESULT_MAX bytes). */
const INLINE_PREFIX = 'completed\n';

/** run() enqueued nothing new: an idempotency key matched this other task. */
export class MatchedOtherTask {
  constructor(readonly id: string) {}
}

/** A run in progress: called with the done message, or with undefined to read the task. */
type Listener = (message: string | undefined) => void;

export class RunNotifier {
  /** This backend's tag (18 hex digits): in its channel names and on each task it enqueues. */
  readonly tag = randomBytes(9).toString('hex');
  private readonly subscriptions = new Map<string, Promise<unknown>>();
  /** Runs in progress by task id (two runs of one caller-chosen id may wait at once). */
  private readonly listeners = new Map<string, Set<Listener>>();
  private offReconnect: (() => void) | undefined;

  constructor(
    private readonly ctx: BackendContext,
    private readonly subscriber: Subscriber,
    private readonly maxPayloadBytes: number,
    /** @defaultValue SAFETY_READ_MS */
    private readonly safetyReadMs = SAFETY_READ_MS,
  ) {}

  /**
   * Enqueues `payload` with `options.id` (required: the caller chose it) and waits for the task
   * to finish. Resolves with the finished task, or with the result alone when the announcement
   * carried it; with MatchedOtherTask when an idempotency key matched another task.
   */
  async run(queue: string, payload: unknown, options: EnqueueOptions & { id: string }, timeoutMs: number | undefined): Promise<TaskInfo | InlineResult | MatchedOtherTask> {
    if (timeoutMs !== undefined) nonNegativeMs('timeoutMs', timeoutMs);
    const id = makeTaskId(queue, options.id);
    await this.subscribed(queue);
    // message: null = nothing yet, undefined = read the task, else the done message.
    const inbox: { message: string | null | undefined } = { message: null };
    let wake: () => void = () => undefined;
    const listener: Listener = (m) => {
      inbox.message = m;
      wake();
    };
    const waiting = this.listeners.get(id) ?? new Set<Listener>();
    waiting.add(listener);
    this.listeners.set(id, waiting);
    try {
      const created = await guard('enqueue', () => enqueue(this.ctx, queue, payload, options, this.maxPayloadBytes, this.tag), this.ctx.redis);
      if (created.id !== id) return new MatchedOtherTask(created.id);
      const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
      let state = 'pending';
      for (;;) {
        if (this.subscriber.closed) throw new DroverError('QUEUE_ERROR', `run of ${id}: the backend was closed`);
        const got = inbox.message;
        inbox.message = null;
        if (typeof got === 'string') {
          if (got.startsWith(INLINE_PREFIX)) return { inline: true, result: JSON.parse(got.slice(INLINE_PREFIX.length)) as unknown };
          if (got === 'deleted') throw new DroverError('TASK_NOT_FOUND', `task ${id} not found (deleted while waiting)`);
        }
        if (got !== null) {
          const info = await getTask(this.ctx, id);
          if (!info) throw new DroverError('TASK_NOT_FOUND', `task ${id} not found (unknown, deleted or expired)`);
          if (isTerminal(info.state)) return info;
          state = info.state;
          if (inbox.message !== null) continue; // announced while reading
        }
        const remaining = deadline - Date.now();
        if (remaining <= 0) throw new DroverError('WAIT_TIMEOUT', `task ${id} did not finish within ${timeoutMs} ms (state: ${state})`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            if (inbox.message === null) inbox.message = undefined; // the safety read, or the last one before the timeout
            resolve();
          }, Math.min(remaining, this.safetyReadMs, MAX_TIMER_MS));
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = () => undefined;
      }
    } finally {
      waiting.delete(listener);
      if (waiting.size === 0 && this.listeners.get(id) === waiting) this.listeners.delete(id);
    }
  }

  /** The queue's notify channel, subscribed once (a failed attempt is retried by the next run). */
  private subscribed(queue: string): Promise<unknown> {
    let ready = this.subscriptions.get(queue);
    if (!ready) {
      this.offReconnect ??= this.subscriber.onReconnect(() => {
        for (const waiting of [...this.listeners.values()]) for (const listener of [...waiting]) listener(undefined);
      });
      const channel = this.ctx.keys.channels(queue).notifyPrefix + this.tag;
      ready = guard('run', () => this.subscriber.subscribe(channel, (m) => this.dispatch(m)));
      ready.catch(() => this.subscriptions.delete(queue));
      this.subscriptions.set(queue, ready);
    }
    return ready;
  }

  /** `<id>\n<done message>` to the run waiting for that id, if any. */
  private dispatch(announcement: string): void {
    const cut = announcement.indexOf('\n');
    if (cut < 0) return;
    const message = announcement.slice(cut + 1);
    for (const listener of [...(this.listeners.get(announcement.slice(0, cut)) ?? [])]) listener(message);
  }
}
