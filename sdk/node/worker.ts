/**
 * The task loop of one handler process: takes classified stdin lines, runs up to `concurrency`
 * task functions at once (FIFO, so concurrency 1 is strictly in order), routes cancel requests
 * and writes one reply per task. Knows nothing of signals, stdin or process exit (run.ts does).
 */
import { CancelledError } from './errors.js';
import { encodeReply, parseInbound, sniffTaskId, type CurrentTask, type TaskOutcome } from './messages.js';
import type { TaskFunction, TaskInfo } from './registry.js';
import { runInTaskScope, type TaskScope } from './task-context.js';
import { warn } from './warn.js';

export interface WorkerParams {
  /** Writes one protocol line. */
  emit: (line: string) => Promise<void>;
  handler: TaskFunction;
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
}

export function createWorker(params: WorkerParams): Worker {
  const { emit, handler, ctx, concurrency, maxTasks } = params;
  const queue: Pending[] = [];
  const running = new Map<string, TaskScope>();
  let taken = 0;
  let inputEnded = false;
  let stopReason: string | undefined;
  let resolveFinished: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    resolveFinished = resolve;
  });

  function checkFinished(): void {
    const closed = inputEnded || stopReason !== undefined || taken >= maxTasks;
    if (closed && queue.length === 0 && running.size === 0) resolveFinished();
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

  function start({ task, payload }: Pending): void {
    const scope: TaskScope = { task, controller: new AbortController(), done: false, emit };
    running.set(task.taskId, scope);
    const info: TaskInfo = Object.freeze({ ...task, signal: scope.controller.signal });
    runInTaskScope(scope, () => handler(payload, ctx, info))
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
    while (running.size < concurrency && queue.length > 0) start(queue.shift() as Pending);
  }

  function handBack(taskId: string, reason: string): void {
    reply(taskId, { ok: false, wire: { message: `${reason}; task not started`, type: 'ShutdownError' }, retry: true });
  }

  function cancel(taskId: string): void {
    const scope = running.get(taskId);
    if (scope) {
      if (!scope.controller.signal.aborted) scope.controller.abort(new CancelledError());
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
          queue.push({ task: message.task, payload: message.payload });
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
      checkFinished();
    },
    stop(reason) {
      if (stopReason !== undefined) return;
      stopReason = reason;
      for (const pending of queue.splice(0)) handBack(pending.task.taskId, reason);
      checkFinished();
    },
    finished,
  };
}
