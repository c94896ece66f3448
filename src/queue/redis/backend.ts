/**
 * The Redis queue backend: the one object the supervisor and the client talk to.
 * Every multi-key transition is one Lua script (src/queue/redis/lua); all keys come from
 * keys.ts; all times are Redis server TIME (ms). See docs/redis-layout.md.
 *
 * Connections: the caller's connection runs every normal command. The backend creates (lazily,
 * with `duplicate()`) one pub/sub connection (wait, onCancel), blocking connections for
 * waitForWork (one per queue set standalone, one per queue in Cluster) and one per events()
 * iterator. close() closes only those; the caller closes its own connection.
 */
import type { Cluster, Redis } from 'ioredis';
import type { FailureReason, TaskError, TaskState } from '../task.js';
import { enqueue, enqueueMany, getQueueDefaults, setQueueDefaults, type EnqueueResult } from './enqueue.js';
import { cancel, deleteTask, onCancel, purgeDead, retryDead } from './admin.js';
import { type ClaimedTask, parseInboxRow } from './claimed-task.js';
import { type BackendContext, createContext } from './context.js';
import { DEFAULT_PREFIX } from './keys.js';
import { type ExtendResult, type RecoverOptions, type RecoverResult, extendLeases, recover } from './leases.js';
import { type ClaimOptions, type Completion, type FailState, claim, complete, completeMany, fail, requeue } from './lifecycle.js';
import { checkMaxmemoryPolicy } from './maxmemory.js';
import { type InlineResult, type MatchedOtherTask, RunNotifier } from './run-notifier.js';
import { type EnqueueOptions, type QueueDefaults, normalizeMaxPayloadBytes } from './options.js';
import { guard } from './redis-errors.js';
import type { RedisClient } from './scripts.js';
import { type QueueStats, queueStats } from './stats.js';
import { Subscriber } from './subscriber.js';
import {
  type SupervisorInfo,
  type SupervisorRecord,
  listSupervisors,
  registerSupervisor,
  unregisterSupervisor,
} from './supervisors.js';
import { type EventsOptions, type TaskStreamItem, partial, progress, taskEvents } from './task-events.js';
import type { TaskInfo } from './task-info.js';
import { getTask, listDead } from './task-read.js';
import { type WaitOptions, waitForTask } from './task-wait.js';
import { WorkWaiter } from './work-waiter.js';

export type { ClaimedTask } from './claimed-task.js';
export { type Completion, resultJson } from './lifecycle.js';

export interface RedisBackendOptions {
  /** A connected (or lazily connecting) ioredis client; it must not use ioredis' keyPrefix. */
  redis: Redis | Cluster;
  /** Prefix of every key; must not contain '{' or '}'. @defaultValue 'drover:' */
  prefix?: string;
  /** Largest payload enqueue accepts, in bytes of JSON (PAYLOAD_TOO_LARGE above). @defaultValue 16777216 (16 MiB) */
  maxPayloadBytes?: number;
}

export const DEFAULT_BACKEND_OPTIONS: Readonly<{ prefix: string }> = { prefix: DEFAULT_PREFIX };

export class RedisBackend {
  private readonly ctx: BackendContext;
  private readonly subscriber: Subscriber;
  private readonly waiter: WorkWaiter;
  private readonly eventConnections = new Set<RedisClient>();
  private readonly maxPayloadBytes: number;
  private notifier: RunNotifier | undefined;

  constructor(opts: RedisBackendOptions) {
    this.ctx = createContext(opts.redis, opts.prefix ?? DEFAULT_BACKEND_OPTIONS.prefix);
    this.maxPayloadBytes = normalizeMaxPayloadBytes(opts.maxPayloadBytes);
    this.subscriber = new Subscriber(opts.redis);
    this.waiter = new WorkWaiter(this.ctx);
  }

  /** Runs one operation, mapping failures to DroverErrors that name it (and the last socket error). */
  private guard<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    return guard(operation, fn, this.ctx.redis);
  }

  get prefix(): string {
    return this.ctx.keys.prefix;
  }

  enqueue(queue: string, payload: unknown, opts?: EnqueueOptions): Promise<EnqueueResult> {
    return this.guard('enqueue', () => enqueue(this.ctx, queue, payload, opts, this.maxPayloadBytes));
  }

  /** One enqueue-many script call per 500 tasks (or 8 MiB of payloads); results in item order. */
  enqueueMany(queue: string, items: { payload: unknown; options?: EnqueueOptions }[]): Promise<EnqueueResult[]> {
    return this.guard('enqueueMany', () => enqueueMany(this.ctx, queue, items, this.maxPayloadBytes));
  }

  /** Merges into the queue's defaults stored in Redis (apply to tasks enqueued afterwards). */
  setQueueDefaults(queue: string, defaults: QueueDefaults): Promise<void> {
    return this.guard('setQueueDefaults', () => setQueueDefaults(this.ctx, queue, defaults));
  }

  getQueueDefaults(queue: string): Promise<QueueDefaults> {
    return this.guard('getQueueDefaults', () => getQueueDefaults(this.ctx, queue));
  }

  /**
   * Promotes due scheduled tasks, then atomically leases up to `count` pending tasks. With
   * `requestId`, running the same claim again (a re-sent command) returns the same tasks.
   */
  claim(queue: string, opts: ClaimOptions): Promise<ClaimedTask[]> {
    return this.guard('claim', async () => {
      const reply = await claim(this.ctx, queue, opts);
      this.noteClaim(queue, opts.idleMs, (opts.count ?? 1) - reply.tasks.length, reply.drainedWaitMs);
      return reply.tasks;
    });
  }

  /**
   * A claim that drained the queue already did the next waitForWork's peek, and with idleMs
   * registered this supervisor as idle for `slots` tasks (claim-core.lua does so unless a task is
   * due now, or there is no slot to offer).
   */
  private noteClaim(queue: string, idleMs: number | undefined, slots: number, drainedWaitMs: number | undefined): void {
    const registered = idleMs !== undefined && drainedWaitMs !== undefined && drainedWaitMs !== 0 && slots > 0;
    this.waiter.noteClaim(queue, drainedWaitMs, registered ? { slots, ms: idleMs } : undefined);
  }

  /**
   * Blocks in Redis until work may be available, a scheduled task is due, or the timeout;
   * `signal` ends the wait early (the blocking call stays in flight and is reused next time).
   */
  waitForWork(queues: string[], timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return this.waiter.wait(queues, timeoutMs, signal);
  }

  /**
   * Where tasks of `queue` handed over by an enqueue go (claims made with `idleMs` by
   * `supervisorId`): waitForWork takes them from the supervisor's inbox, and so does leaving the
   * idle list. Set once, before the first waitForWork on the queue. False when another supervisor
   * of this backend has that queue's inbox (its claims must then not pass `idleMs`).
   */
  setInbox(supervisorId: string, queue: string, onTask: (task: ClaimedTask) => void): boolean {
    return this.waiter.setInbox(supervisorId, queue, (q, row) => onTask(parseInboxRow(q, row)));
  }

  /** How many more tasks enqueues may hand this backend's supervisor of `queue` (0: it is not registered idle there). */
  idleSlots(queue: string): number {
    return this.waiter.idleSlots(queue);
  }

  /** Leaves the idle lists `supervisorId` is registered on; returns what was handed over meanwhile. */
  leaveIdle(supervisorId: string): Promise<ClaimedTask[]> {
    return this.guard('leaveIdle', async () => (await this.waiter.leaveAll(supervisorId)).map(([queue, row]) => parseInboxRow(queue, row)));
  }

  /**
   * Stores the result if the token still matches; optionally claims the next task(s)
   * (idempotent with claimNext.requestId). A re-sent complete of an attempt that was already
   * completed with this token is accepted again, without counting it twice.
   */
  complete(
    task: ClaimedTask,
    result: unknown,
    claimNext?: ClaimOptions,
  ): Promise<{ accepted: boolean; next: ClaimedTask | null; claimed: ClaimedTask[] }> {
    return this.guard('complete', () => complete(this.ctx, task, result, claimNext));
  }

  /**
   * complete for several attempts of one queue in one round trip (the supervisor's group
   * commit), with one claim of up to `claimNext.count` next tasks for all of them. `accepted` is
   * by attempt, in order. Results go as JSON already (resultJson), so that one result that
   * cannot be serialized fails only its own attempt, before anything is sent.
   */
  completeMany(queue: string, completions: readonly Completion[], claimNext?: ClaimOptions): Promise<{ accepted: boolean[]; claimed: ClaimedTask[] }> {
    return this.guard('completeMany', async () => {
      const reply = await completeMany(this.ctx, queue, completions, claimNext);
      if (claimNext?.idleMs !== undefined && (claimNext.count ?? 1) > 0) {
        this.noteClaim(queue, claimNext.idleMs, (claimNext.idleSlots ?? claimNext.count ?? 1) - reply.claimed.length, reply.drainedWaitMs);
      }
      return { accepted: reply.accepted, claimed: reply.claimed };
    });
  }

  /** A re-sent fail of an attempt already failed with this token answers the same again. */
  fail(
    task: ClaimedTask,
    f: { reason: FailureReason; error: TaskError; retry: boolean; retryAfterMs?: number },
  ): Promise<{ accepted: boolean; state: FailState; runAt?: number }> {
    return this.guard('fail', () => fail(this.ctx, task, f));
  }

  /** Shutdown: back to pending at the front, attempt not counted, only if the token matches. */
  requeue(tasks: ClaimedTask[]): Promise<number> {
    return this.guard('requeue', () => requeue(this.ctx, tasks));
  }

  extendLeases(supervisorId: string, tasks: ClaimedTask[], leaseMs: number): Promise<ExtendResult> {
    return this.guard('extendLeases', () => extendLeases(this.ctx, supervisorId, tasks, leaseMs));
  }

  recover(queues: string[], opts?: RecoverOptions): Promise<RecoverResult> {
    return this.guard('recover', () => recover(this.ctx, queues, opts));
  }

  /** false when dropped (stale token). */
  progress(task: ClaimedTask, value: number, message?: string): Promise<boolean> {
    return this.guard('progress', () => progress(this.ctx, task, value, message));
  }

  /** false when dropped (stale token). */
  partial(task: ClaimedTask, data: unknown): Promise<boolean> {
    return this.guard('partial', () => partial(this.ctx, task, data));
  }

  cancel(id: string): Promise<{ state: TaskState } | null> {
    return this.guard('cancel', () => cancel(this.ctx, id));
  }

  /** Pub/sub on each queue's cancel channel; returns the unsubscribe function. */
  onCancel(queues: string[], cb: (taskId: string) => void): Promise<() => Promise<void>> {
    return this.guard('onCancel', () => onCancel(this.ctx, this.subscriber, queues, cb));
  }

  get(id: string): Promise<TaskInfo | null> {
    return getTask(this.ctx, id);
  }

  /** Resolves with the task once completed, failed or cancelled (pub/sub, no polling). */
  wait(id: string, opts?: WaitOptions): Promise<TaskInfo> {
    return waitForTask(this.ctx, this.subscriber, id, opts);
  }

  /**
   * Enqueue, then wait for the finish (client.run): announced on this backend's notify channel
   * of the queue, subscribed once (run-notifier.ts). `options.id` is required. Resolves with
   * MatchedOtherTask when an idempotency key matched another task (wait for that one).
   */
  enqueueAndWait(queue: string, payload: unknown, options: EnqueueOptions & { id: string }, timeoutMs?: number): Promise<TaskInfo | InlineResult | MatchedOtherTask> {
    this.notifier ??= new RunNotifier(this.ctx, this.subscriber, this.maxPayloadBytes);
    return this.notifier.run(queue, payload, options, timeoutMs);
  }

  /** Progress and partial events, then a final item with the finished task. */
  events(id: string, opts?: EventsOptions): AsyncGenerator<TaskStreamItem, void, undefined> {
    return taskEvents(this.ctx, id, opts, this.eventConnections);
  }

  /** `options.supervisors`: the registry as already read by listSupervisors(), saving a read per queue. */
  stats(queue: string, options: { supervisors?: readonly SupervisorRecord[] } = {}): Promise<QueueStats> {
    return this.guard('stats', () => queueStats(this.ctx, queue, options.supervisors));
  }

  registerSupervisor(info: SupervisorInfo, ttlMs: number): Promise<void> {
    return this.guard('registerSupervisor', () => registerSupervisor(this.ctx, info, ttlMs));
  }

  unregisterSupervisor(id: string): Promise<void> {
    return this.guard('unregisterSupervisor', () => unregisterSupervisor(this.ctx, id));
  }

  listSupervisors(): Promise<SupervisorRecord[]> {
    return this.guard('listSupervisors', () => listSupervisors(this.ctx));
  }

  listDead(queue: string, page?: { offset?: number; limit?: number }): Promise<TaskInfo[]> {
    return this.guard('listDead', () => listDead(this.ctx, queue, page));
  }

  retryDead(queue: string, ids?: string[]): Promise<number> {
    return this.guard('retryDead', () => retryDead(this.ctx, queue, ids));
  }

  purgeDead(queue: string): Promise<number> {
    return this.guard('purgeDead', () => purgeDead(this.ctx, queue));
  }

  deleteTask(id: string): Promise<boolean> {
    return this.guard('deleteTask', () => deleteTask(this.ctx, id));
  }

  checkMaxmemoryPolicy(): Promise<string | null> {
    return checkMaxmemoryPolicy(this.ctx.redis);
  }

  /** Closes the connections the backend created (not the caller's). */
  async close(): Promise<void> {
    this.waiter.close();
    this.subscriber.close();
    for (const conn of this.eventConnections) conn.disconnect();
    this.eventConnections.clear();
  }
}
