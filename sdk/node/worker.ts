/**
 * The task loop of one handler process: takes classified stdin lines, runs up to `concurrency`
 * task functions at once (FIFO, so concurrency 1 is strictly in order), routes cancel requests
 * and writes one reply per task. Knows nothing of signals, stdin or process exit (run.ts does).
 *
 * A batched task function is called with up to `size` queued tasks at once, one batch at a time:
 * a batch starts when none is running and the queue holds `size` tasks, or its oldest task has
 * waited `maxWaitMs`, or no more tasks can come (stdin ended, runOnce). A cancelled task of a
 * running batch is answered at once; the call goes on for the others (docs/batching.md).
 */
import { performance } from 'node:perf_hooks';
import { batchInfo, batchOutcomes, type BatchMember } from './batch-call.js';
import { CancelledError } from './errors.js';
import { encodeReply, parseInbound, sniffTaskId, type CurrentTask, type TaskOutcome } from './messages.js';
import type { BatchTaskFunction, RegisteredTask, TaskFunction, TaskInfo } from './registry.js';
import { TaskCancel } from './task-cancel.js';
import { runInTaskScope, type TaskScope } from './task-context.js';
import { warn } from './warn.js';

export interface WorkerParams {
  /** Writes one protocol line. */
  emit: (line: string) => Promise<void>;
  handler: RegisteredTask;
  ctx: unknown;
  concurrency: number;
  /** Take no more tasks after this many (runOnce: 1; run: Infinity). */
  maxTasks: number;
  /** Longest line read or written, in bytes. */
  maxLineBytes: number;
}

export interface Worker {
  /** One stdin line. */
  accept(line: string): void;
  /** A stdin line over maxLineBytes was skipped. */
  overlong(prefix: string, bytes: number): void;
  /** Stdin reached EOF: run what was received, take nothing more. */
  endOfInput(): void;
  /** Take no more tasks (SIGTERM); tasks received but not started are handed back with retry:true. */
  stop(reason: string): void;
  /** Resolves when no more tasks will be taken and none is queued or running. */
  readonly finished: Promise<void>;
}

interface Pending {
  task: CurrentTask;
  payload: unknown;
  /** performance.now() when the line was read (batching counts its wait from here). */
  arrivedAt: number;
}

/** The batch being served: its tasks, and its "every task cancelled" cancellation. */
interface RunningBatch {
  scopes: TaskScope[];
  cancel: TaskCancel;
}

export function createWorker(params: WorkerParams): Worker {
  const { emit, handler, ctx, concurrency, maxTasks } = params;
  const queue: Pending[] = [];
  const running = new Map<string, TaskScope>();
  let batch: RunningBatch | undefined;
  let batchTimer: NodeJS.Timeout | undefined;
  let taken = 0;
  let inputEnded = false;
  let stopReason: string | undefined;
  let resolveFinished: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    resolveFinished = resolve;
  });

  function checkFinished(): void {
    const closed = inputEnded || stopReason !== undefined || taken >= maxTasks;
    if (closed && queue.length === 0 && running.size === 0 && !batch) resolveFinished();
  }

  function reply(taskId: string, outcome: TaskOutcome): void {
    const line = encodeReply(taskId, outcome);
    // A reply longer than the line limit would make the supervisor recycle the process: fail
    // the task instead (UTF-8 needs at most 3 bytes per UTF-16 unit, so most lines skip the count).
    const bytes = line.length * 3 > params.maxLineBytes ? Buffer.byteLength(line) : 0;
    if (bytes > params.maxLineBytes) {
      const message = `reply of ${bytes} bytes is over maxLineBytes (${params.maxLineBytes})`;
      warn(`failing task ${JSON.stringify(taskId)}: ${message}`);
      void emit(encodeReply(taskId, { ok: false, wire: { message, type: 'LineTooLongError' }, retry: false }));
      return;
    }
    void emit(line);
  }

  function start({ task, payload }: Pending, fn: TaskFunction): void {
    const scope: TaskScope = { task, cancel: new TaskCancel(), done: false, emit };
    running.set(task.taskId, scope);
    const info: TaskInfo = Object.freeze({
      ...task,
      get signal() {
        return scope.cancel.signal;
      },
    });
    runInTaskScope(scope, () => fn(payload, ctx, info))
      .then(
        (result): TaskOutcome => ({ ok: true, result }),
        (error: unknown): TaskOutcome => ({ ok: false, error }),
      )
      .then((outcome) => {
        scope.done = true;
        running.delete(task.taskId);
        reply(task.taskId, outcome);
        pump();
        checkFinished();
      });
  }

  function pump(): void {
    if (handler.kind === 'batch') return pumpBatch(handler);
    while (running.size < concurrency && queue.length > 0) start(queue.shift() as Pending, handler.fn);
  }

  function pumpBatch(batched: Extract<RegisteredTask, { kind: 'batch' }>): void {
    if (batch || queue.length === 0) return;
    const now = performance.now();
    const due = (queue[0] as Pending).arrivedAt + batched.maxWaitMs;
    const noMoreTasks = inputEnded || taken >= maxTasks;
    if (queue.length >= batched.size || noMoreTasks || now >= due) {
      clearTimeout(batchTimer);
      batchTimer = undefined;
      startBatch(queue.splice(0, batched.size), batched.fn, now);
    } else if (!batchTimer) {
      batchTimer = setTimeout(() => {
        batchTimer = undefined;
        pump();
      }, Math.ceil(due - now));
    }
  }

  function startBatch(pendings: Pending[], fn: BatchTaskFunction, now: number): void {
    const members: BatchMember[] = pendings.map(({ task, payload, arrivedAt }) => ({
      scope: { task, cancel: new TaskCancel(), done: false, emit },
      payload,
      arrivedAt,
    }));
    const current: RunningBatch = { scopes: members.map((m) => m.scope), cancel: new TaskCancel() };
    batch = current;
    for (const scope of current.scopes) running.set(scope.task.taskId, scope);
    const info = batchInfo(members, current.cancel, now);
    runInTaskScope({ items: current.scopes }, () => fn(members.map((m) => m.payload), ctx, info))
      .then(
        (results) => batchOutcomes(results, members.length),
        (error: unknown) => members.map((): TaskOutcome => ({ ok: false, error })),
      )
      .then((outcomes) => {
        current.scopes.forEach((scope, index) => finishScope(scope, outcomes[index] as TaskOutcome));
        batch = undefined;
        pump();
        checkFinished();
      });
  }

  /** Replies for a task of a batch unless it was answered already (a cancel). */
  function finishScope(scope: TaskScope, outcome: TaskOutcome): void {
    if (scope.done) return;
    scope.done = true;
    running.delete(scope.task.taskId);
    reply(scope.task.taskId, outcome);
  }

  function handBack(taskId: string, reason: string): void {
    reply(taskId, { ok: false, wire: { message: `${reason}; task not started`, type: 'ShutdownError' }, retry: true });
  }

  function cancel(taskId: string): void {
    const scope = running.get(taskId);
    if (scope) {
      scope.cancel.abort(new CancelledError());
      if (batch?.scopes.includes(scope)) {
        // The call goes on for the other tasks of the batch: answer this one now.
        finishScope(scope, { ok: false, error: new CancelledError() });
        if (batch.scopes.every((s) => s.cancel.aborted)) batch.cancel.abort(new CancelledError());
        checkFinished();
      }
      return;
    }
    const index = queue.findIndex((pending) => pending.task.taskId === taskId);
    if (index === -1) return; // already answered, or never seen: nothing to do
    queue.splice(index, 1);
    const error = new CancelledError('task cancelled by the supervisor before it started');
    reply(taskId, { ok: false, error });
    checkFinished();
  }

  /** Common checks for a task line; true when the task may be taken. */
  function mayTake(taskId: string): boolean {
    if (taken >= maxTasks) {
      warn(`ignoring task ${JSON.stringify(taskId)}: runOnce() serves a single task`);
      return false;
    }
    if (running.has(taskId) || queue.some((pending) => pending.task.taskId === taskId)) {
      warn(`ignoring task ${JSON.stringify(taskId)}: a task with this id is already in progress`);
      return false;
    }
    if (stopReason !== undefined) {
      handBack(taskId, stopReason);
      return false;
    }
    return true;
  }

  return {
    accept(line) {
      const message = parseInbound(line);
      switch (message.kind) {
        case 'blank':
          return;
        case 'invalid': {
          const shown = line.length > 200 ? `${line.slice(0, 200)}…` : line;
          warn(`skipping stdin line (${message.reason}): ${shown}`);
          return;
        }
        case 'cancel':
          cancel(message.taskId);
          return;
        case 'task':
          if (!mayTake(message.task.taskId)) return;
          taken += 1;
          queue.push({ task: message.task, payload: message.payload, arrivedAt: performance.now() });
          pump();
      }
    },
    overlong(prefix, bytes) {
      const taskId = sniffTaskId(prefix);
      const text = `stdin line of ${bytes} bytes is over maxLineBytes (${params.maxLineBytes})`;
      if (taskId === undefined || /"type"\s*:\s*"cancel"/.test(prefix)) {
        warn(`skipping ${text}; no task_id found at its start`);
        return;
      }
      warn(`failing task ${JSON.stringify(taskId)}: ${text}`);
      if (!mayTake(taskId)) return;
      taken += 1;
      reply(taskId, { ok: false, wire: { message: text, type: 'LineTooLongError' }, retry: false });
      checkFinished();
    },
    endOfInput() {
      inputEnded = true;
      pump(); // a batch waiting for more tasks starts now
      checkFinished();
    },
    stop(reason) {
      if (stopReason !== undefined) return;
      stopReason = reason;
      clearTimeout(batchTimer);
      batchTimer = undefined;
      for (const pending of queue.splice(0)) handBack(pending.task.taskId, reason);
      checkFinished();
    },
    finished,
  };
}
