/**
 * The task a piece of code runs for, found through AsyncLocalStorage, so progress(), partial(),
 * currentTask() and cancelled() work anywhere below a task function (also in timers and
 * promises it started) without passing anything around, even with several tasks in flight.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { encodePartial, encodeProgress, type CurrentTask } from './messages.js';

/** The bookkeeping of one running task, shared with the worker. */
export interface TaskScope {
  readonly task: CurrentTask;
  readonly controller: AbortController;
  /** Set once the reply is queued; later progress and partial output is dropped. */
  done: boolean;
  /** Writes one protocol line. */
  readonly emit: (line: string) => Promise<void>;
}

const storage = new AsyncLocalStorage<TaskScope>();

/** Runs fn inside the scope of one task; a synchronous throw becomes a rejection. */
export function runInTaskScope<T>(scope: TaskScope, fn: () => T | Promise<T>): Promise<T> {
  return storage.run(scope, async () => fn());
}

function requireScope(caller: string): TaskScope {
  const scope = storage.getStore();
  if (!scope) throw new Error(`${caller} must be called while a task runs (inside the function given to task())`);
  return scope;
}

/** The task the calling code runs for; undefined outside a task. */
export function currentTask(): CurrentTask | undefined {
  return storage.getStore()?.task;
}

/** True once the supervisor has asked to cancel the current task; false outside a task. */
export function cancelled(): boolean {
  return storage.getStore()?.controller.signal.aborted ?? false;
}

/**
 * Reports progress of the current task: `{"type":"progress","task_id","progress","message"}`.
 * `fraction` is between 0 and 1. The promise resolves when the line is written (await it to
 * respect backpressure; ignoring it is fine). Throws outside a task; a no-op after the task
 * has replied.
 */
export function progress(fraction: number, message?: string): Promise<void> {
  const scope = requireScope('progress()');
  if (typeof fraction !== 'number' || !Number.isFinite(fraction) || fraction < 0 || fraction > 1) {
    throw new TypeError(`progress(): fraction must be a number between 0 and 1, got ${String(fraction)}`);
  }
  if (message !== undefined && typeof message !== 'string') {
    throw new TypeError(`progress(): message must be a string, got ${typeof message}`);
  }
  if (scope.done) return Promise.resolve();
  return scope.emit(encodeProgress(scope.task.taskId, fraction, message));
}

/**
 * Streams one piece of output of the current task (a token, a frame):
 * `{"type":"partial","task_id","data"}`. Throws SerializationError for data JSON cannot
 * represent, and outside a task; a no-op after the task has replied.
 */
export function partial(data: unknown): Promise<void> {
  const scope = requireScope('partial()');
  const line = encodePartial(scope.task.taskId, data);
  if (scope.done) return Promise.resolve();
  return scope.emit(line);
}
