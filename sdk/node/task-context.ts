/**
 * The task a piece of code runs for, found through AsyncLocalStorage, so progress(), partial(),
 * currentTask() and cancelled() work anywhere below a task function (also in timers and
 * promises it started) without passing anything around, even with several tasks in flight.
 *
 * Inside a batched task function (`task(fn, { batch })`) the scope is the whole batch:
 * currentTask() is undefined (a batch has no single task), progress() reports for every item not
 * answered yet, partial() throws (use `batch.items[i].partial(data)`), and cancelled() is true
 * once every item of the batch was cancelled.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { encodePartial, encodeProgress, type CurrentTask } from './messages.js';
import type { TaskCancel } from './task-cancel.js';

/** The bookkeeping of one running task, shared with the worker. */
export interface TaskScope {
  readonly task: CurrentTask;
  readonly cancel: TaskCancel;
  /** Set once the reply is queued; later progress and partial output is dropped. */
  done: boolean;
  /** Writes one protocol line. */
  readonly emit: (line: string) => Promise<void>;
}

/** The scope of a running batch: the scopes of its items, in the order of the payloads. */
export interface BatchScope {
  readonly items: readonly TaskScope[];
}

type Scope = TaskScope | BatchScope;

const storage = new AsyncLocalStorage<Scope>();

const isBatch = (scope: Scope): scope is BatchScope => 'items' in scope;

/** Runs fn inside the scope of one task (or one batch); a synchronous throw becomes a rejection. */
export function runInTaskScope<T>(scope: Scope, fn: () => T | Promise<T>): Promise<T> {
  return storage.run(scope, async () => fn());
}

function requireScope(caller: string): Scope {
  const scope = storage.getStore();
  if (!scope) throw new Error(`${caller} must be called while a task runs (inside the function given to task())`);
  return scope;
}

/** The task the calling code runs for; undefined outside a task and inside a batched task. */
export function currentTask(): CurrentTask | undefined {
  const scope = storage.getStore();
  return scope && !isBatch(scope) ? scope.task : undefined;
}

/**
 * True once the supervisor has asked to cancel the current task; false outside a task. Inside a
 * batched task: true once every item of the batch was cancelled.
 */
export function cancelled(): boolean {
  const scope = storage.getStore();
  if (!scope) return false;
  if (isBatch(scope)) return scope.items.every((item) => item.cancel.aborted);
  return scope.cancel.aborted;
}

/** Writes a progress line for one task (checks the arguments; a no-op once it replied). */
export function emitProgress(scope: TaskScope, fraction: number, message?: string): Promise<void> {
  if (typeof fraction !== 'number' || !Number.isFinite(fraction) || fraction < 0 || fraction > 1) {
    throw new TypeError(`progress(): fraction must be a number between 0 and 1, got ${String(fraction)}`);
  }
  if (message !== undefined && typeof message !== 'string') {
    throw new TypeError(`progress(): message must be a string, got ${typeof message}`);
  }
  if (scope.done) return Promise.resolve();
  return scope.emit(encodeProgress(scope.task.taskId, fraction, message));
}

/** Writes a partial line for one task (throws SerializationError; a no-op once it replied). */
export function emitPartial(scope: TaskScope, data: unknown): Promise<void> {
  const line = encodePartial(scope.task.taskId, data);
  if (scope.done) return Promise.resolve();
  return scope.emit(line);
}

/**
 * Reports progress of the current task: `{"type":"progress","task_id","progress","message"}`.
 * `fraction` is between 0 and 1. The promise resolves when the line is written (await it to
 * respect backpressure; ignoring it is fine). Throws outside a task; a no-op after the task
 * has replied. Inside a batched task: one line for every item not answered yet.
 */
export function progress(fraction: number, message?: string): Promise<void> {
  const scope = requireScope('progress()');
  if (!isBatch(scope)) return emitProgress(scope, fraction, message);
  return Promise.all(scope.items.map((item) => emitProgress(item, fraction, message))).then(() => {});
}

/**
 * Streams one piece of output of the current task (a token, a frame):
 * `{"type":"partial","task_id","data"}`. Throws SerializationError for data JSON cannot
 * represent, and outside a task; a no-op after the task has replied. Throws inside a batched
 * task, which has no single task: use `batch.items[i].partial(data)`.
 */
export function partial(data: unknown): Promise<void> {
  const scope = requireScope('partial()');
  if (isBatch(scope)) {
    throw new Error('partial() inside a batched task: say which item, with batch.items[i].partial(data)');
  }
  return emitPartial(scope, data);
}
