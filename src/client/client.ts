/**
 * The client SDK: enqueue tasks, wait for results, cancel, inspect.
 *
 * ```ts
 * const client = new Client({ redis: 'redis://localhost:6379' });
 * const result = await client.run('resize', { url }, { timeout: 30_000 });
 * await client.close();
 * ```
 */
import { DroverError } from '../errors.js';
import { RedisBackend } from '../queue/redis/backend.js';
import type { EnqueueResult } from '../queue/redis/enqueue.js';
import { assertQueueName, newIdSuffix } from '../queue/redis/keys.js';
import { MatchedOtherTask } from '../queue/redis/run-notifier.js';
import { nonNegativeMs } from '../queue/redis/options.js';
import type { EnqueueOptions, QueueDefaults } from '../queue/redis/options.js';
import type { QueueStats } from '../queue/redis/stats.js';
import type { EventsOptions, TaskStreamItem } from '../queue/redis/task-events.js';
import type { TaskInfo } from '../queue/redis/task-info.js';
import type { TaskState } from '../queue/task.js';
import { type OwnedConnection, closeConnection, openConnection } from './connection.js';
import { type ClientOptions, normalizeClientOptions } from './options.js';
import { type SubscribeOptions, type TaskUpdate, subscribeToTask } from './subscription.js';
import { TaskFailedError } from './task-failed-error.js';

export interface ClientWaitOptions {
  /** Milliseconds before WAIT_TIMEOUT (the task itself keeps running). @defaultValue undefined (no limit) */
  timeout?: number;
}

function notFound(id: string): DroverError {
  return new DroverError('TASK_NOT_FOUND', `task ${id} not found (unknown, deleted or expired)`);
}

export class Client {
  private readonly connection: OwnedConnection;
  private readonly backendInstance: RedisBackend;
  private closed = false;

  constructor(options?: ClientOptions) {
    const o = normalizeClientOptions(options);
    this.connection = openConnection(o);
    try {
      this.backendInstance = new RedisBackend({ redis: this.connection.redis, prefix: o.prefix, maxPayloadBytes: o.maxPayloadBytes });
    } catch (error) {
      void closeConnection(this.connection);
      throw error;
    }
  }

  /** The underlying backend (dead-set management, defaults, supervisors). */
  get backend(): RedisBackend {
    return this.backendInstance;
  }

  enqueue(queue: string, payload: unknown, options?: EnqueueOptions): Promise<EnqueueResult> {
    return this.backendInstance.enqueue(queue, payload, options);
  }

  /** Many tasks of one queue in a few script calls (500 per call); results in item order. */
  enqueueMany(queue: string, items: { payload: unknown; options?: EnqueueOptions }[]): Promise<EnqueueResult[]> {
    return this.backendInstance.enqueueMany(queue, items);
  }

  /** The task; throws TASK_NOT_FOUND for an unknown, deleted or expired id. */
  async get(id: string): Promise<TaskInfo> {
    const info = await this.backendInstance.get(id);
    if (!info) throw notFound(id);
    return info;
  }

  /** Resolves when the task completed, failed or was cancelled (woken by Redis, no polling). */
  wait(id: string, options: ClientWaitOptions = {}): Promise<TaskInfo> {
    return this.backendInstance.wait(id, options.timeout === undefined ? {} : { timeoutMs: options.timeout });
  }

  /**
   * Enqueue + wait: resolves with the result; throws a TaskFailedError (DroverError
   * TASK_FAILED, `cause` = the task's error) when the task failed or was cancelled, and
   * WAIT_TIMEOUT when `timeout` passes first.
   */
  async run<R = unknown>(queue: string, payload: unknown, options: EnqueueOptions & ClientWaitOptions = {}): Promise<R> {
    const { timeout, ...enqueueOptions } = options;
    assertQueueName(queue);
    if (timeout !== undefined) nonNegativeMs('timeout', timeout); // refused before anything is enqueued
    // The id is chosen here: the finish is announced by id on this client's notify channel.
    const id = enqueueOptions.id ?? newIdSuffix();
    const first = await this.backendInstance.enqueueAndWait(queue, payload, { ...enqueueOptions, id }, timeout);
    // An idempotency key matched another task: wait for that one.
    const outcome = first instanceof MatchedOtherTask ? await this.wait(first.id, timeout === undefined ? {} : { timeout }) : first;
    if ('inline' in outcome) return outcome.result as R;
    if (outcome.state !== 'completed') throw new TaskFailedError(outcome);
    return outcome.result as R;
  }

  /** Cancels a task (see RedisBackend.cancel); throws TASK_NOT_FOUND for an unknown id. */
  async cancel(id: string): Promise<{ state: TaskState }> {
    const res = await this.backendInstance.cancel(id);
    if (!res) throw notFound(id);
    return res;
  }

  stats(queue: string): Promise<QueueStats> {
    return this.backendInstance.stats(queue);
  }

  /** Merges into a queue's defaults (for tasks enqueued afterwards without their own option). */
  setQueueDefaults(queue: string, defaults: QueueDefaults): Promise<void> {
    return this.backendInstance.setQueueDefaults(queue, defaults);
  }

  /** The defaults stored for a queue (built-ins apply to what is not set). */
  getQueueDefaults(queue: string): Promise<QueueDefaults> {
    return this.backendInstance.getQueueDefaults(queue);
  }

  /**
   * Follow a task: its progress and partial outputs in the order the handler reported them
   * (those reported before the call are replayed first), then one `{ type: 'final', task }` with
   * the finished task, after which the iteration ends. `P` types partial data, `R` the result.
   * Throws TASK_NOT_FOUND for an unknown id, WAIT_TIMEOUT when `timeout` passes first; breaking
   * out of the loop or aborting `signal` stops following (the task keeps running).
   *
   * ```ts
   * for await (const u of client.subscribe<string, Summary>(id)) {
   *   if (u.type === 'progress') bar.update(u.progress, u.message);
   *   else if (u.type === 'partial') process.stdout.write(u.data);
   *   else console.log(u.task.state, u.task.result);
   * }
   * ```
   */
  subscribe<P = unknown, R = unknown>(id: string, options?: SubscribeOptions): AsyncGenerator<TaskUpdate<P, R>, void, undefined> {
    return subscribeToTask<P, R>(this.backendInstance, id, options);
  }

  /**
   * The raw event stream behind subscribe(): `fromStart: false` skips what was already
   * reported; `blockMs` tunes the blocking read. Prefer subscribe().
   */
  events(id: string, options?: EventsOptions): AsyncIterable<TaskStreamItem> {
    return this.backendInstance.events(id, options);
  }

  /** Closes the backend's extra connections and the connection the client created. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.backendInstance.close();
    await closeConnection(this.connection);
  }
}
