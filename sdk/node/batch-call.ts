/**
 * One call of a batched task function: the BatchInfo it gets, and one outcome per task from
 * what it returned (docs/batching.md).
 */
import { BatchResultError } from './errors.js';
import type { TaskOutcome } from './messages.js';
import type { BatchInfo, BatchItem } from './registry.js';
import type { TaskCancel } from './task-cancel.js';
import { emitPartial, emitProgress, type TaskScope } from './task-context.js';

/** A task waiting in the gather buffer. */
export interface BatchMember {
  scope: TaskScope;
  payload: unknown;
  /** performance.now() when its line was read. */
  arrivedAt: number;
}

/** The argument of the batch function: per-item info, and a signal for "every item cancelled". */
export function batchInfo(members: readonly BatchMember[], cancel: TaskCancel, startedAt: number): BatchInfo {
  const items = members.map(
    ({ scope, payload, arrivedAt }): BatchItem =>
      Object.freeze({
        ...scope.task,
        get signal() {
          return scope.cancel.signal;
        },
        payload,
        waitedMs: startedAt - arrivedAt,
        progress: (fraction: number, message?: string) => emitProgress(scope, fraction, message),
        partial: (data: unknown) => emitPartial(scope, data),
      }),
  );
  return Object.freeze({
    items: Object.freeze(items),
    get signal() {
      return cancel.signal;
    },
  });
}

/** Maps what the batch function returned to one outcome per task; a bad shape fails them all. */
export function batchOutcomes(results: unknown, count: number): TaskOutcome[] {
  let error: BatchResultError | undefined;
  if (!Array.isArray(results)) {
    const got = results === null ? 'null' : typeof results;
    error = new BatchResultError(`a batched task function must return an array with one result per payload, got ${got}`);
  } else if (results.length !== count) {
    error = new BatchResultError(
      `the batched task function returned ${results.length} results for ${count} payloads (it must return one result or Error per payload, in order)`,
    );
  }
  if (error) return new Array<TaskOutcome>(count).fill({ ok: false, error });
  return (results as unknown[]).map((value): TaskOutcome => (value instanceof Error ? { ok: false, error: value } : { ok: true, result: value }));
}
