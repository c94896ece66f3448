import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { DroverError } from '../errors.js';
import { LineWriter } from '../protocol/line-writer.js';
import { HANDLER_ENV, type ResultMessage } from '../protocol/messages.js';
import { toTaskEvent, type HandlerLine } from '../protocol/parse-handler-line.js';
import { taskLine } from '../protocol/task-message.js';
import type { AttemptOutcome, TaskAttempt, TaskEvent } from '../queue/task.js';
import { describeExit, type ExitInfo } from './exit-info.js';
import { readHandlerOutput } from './handler-output.js';
import { InFlightTask } from './in-flight-task.js';
import { LoadPhase } from './load-phase.js';
import { signalGroup } from './process-group.js';
import { spawnHandler, type HandlerCommand, type SpawnedHandler } from './spawn-handler.js';
import { StderrTail } from './stderr-tail.js';
import { AutoWriteAhead } from './write-ahead.js';

export type ProcessMode = 'long' | 'oneshot';

/** After the handler exited, how long its pipes may stay open before we stop reading them. */
const PIPE_CLOSE_GRACE_MS = 2000;
export type ProcessState = 'starting' | 'ready' | 'draining' | 'exited';

export interface HandlerProcessOptions {
  command: HandlerCommand;
  mode: ProcessMode;
  /** Stable name for logs, e.g. "slot-2#5" (slot 2, fifth process started in it). */
  name: string;
  maxLineBytes: number;
  /** Load phase limit in ms; 0 = none. */
  loadTimeoutMs: number;
  /** After a cancel message, how long the handler has to answer before SIGTERM. */
  cancelGraceMs: number;
  /** After SIGTERM, how long before SIGKILL. */
  killGraceMs: number;
  /** Long-lived: tasks written ahead beyond the declared concurrency, waiting in the handler's stdin, or 'auto' (write-ahead.ts). Ignored in one-shot mode. */
  pipeline: number | 'auto';
  logger: Logger;
  onTaskEvent?: (event: TaskEvent) => void;
  /** `pipeline: 'auto'` changed how many tasks this process takes (see capacity). */
  onCapacityChange?: () => void;
  /** It replaces a process that crashed soon after it was ready: 'auto' waits longer before writing ahead (write-ahead.ts). */
  afterCrash?: boolean;
}

/** Counters a process keeps for metrics and tests. */
export interface ProcessCounters {
  strayLines: number;
  unknownReplies: number;
  lateReplies: number;
  invalidLines: number;
}

/**
 * One handler process: spawns it, waits for its ready line, writes task lines, matches
 * replies by task_id, turns timeouts, crashes and protocol violations into typed outcomes.
 * It never retries and never restarts: the pool decides that.
 */
export class HandlerProcess {
  readonly name: string;
  readonly mode: ProcessMode;
  readonly ready: Promise<void>;
  readonly exited: Promise<ExitInfo>;
  readonly counters: ProcessCounters = { strayLines: 0, unknownReplies: 0, lateReplies: 0, invalidLines: 0 };
  state: ProcessState = 'starting';
  /** Tasks this process accepts at once, from its ready line. */
  concurrency = 1;
  tasksStarted = 0;
  readonly spawnedAt = Date.now();
  readyAt: number | undefined;

  readonly #opts: HandlerProcessOptions;
  readonly #log: Logger;
  readonly #child: SpawnedHandler;
  readonly #stdin: LineWriter;
  readonly #tail = new StderrTail();
  readonly #inFlight = new Map<string, InFlightTask>();
  readonly #load: LoadPhase;
  #loadError: string | undefined;
  #killTimer: NodeJS.Timeout | undefined;
  /** Armed when the handler exited, cleared once its pipes closed (see #onProcessExit). */
  #pipeCloseTimer: NodeJS.Timeout | undefined;
  #processExit: ExitInfo | undefined;
  /** Set by terminate(): the process is on its way out and takes no task, even if it says ready. */
  #terminating = false;
  readonly #autoWriteAhead: AutoWriteAhead | undefined;

  constructor(opts: HandlerProcessOptions) {
    this.#opts = opts;
    if (opts.pipeline === 'auto' && opts.mode === 'long') this.#autoWriteAhead = new AutoWriteAhead(opts.afterCrash);
    this.name = opts.name;
    this.mode = opts.mode;
    this.#load = new LoadPhase(opts.mode === 'long' ? opts.loadTimeoutMs : 0, () => this.#loadTimedOut());
    this.ready = this.#load.ready;
    this.#child = spawnHandler(opts.command, { [HANDLER_ENV.mode]: opts.mode, [HANDLER_ENV.workerId]: opts.name }, opts.mode === 'long');
    this.#log = opts.logger.child({ proc: opts.name, handlerPid: this.#child.pid });
    this.#stdin = new LineWriter(this.#child.stdin);
    readHandlerOutput({ stdout: this.#child.stdout, fd3: this.#child.stdio[3] as Readable, stderr: this.#child.stderr }, opts.maxLineBytes, {
      onLine: (line) => this.#onLine(line),
      onOverflow: (bytes) => this.#onOverflow(bytes),
      onStrayOverflow: (bytes) => {
        this.counters.strayLines += 1;
        this.#log.warn({ bytes }, 'over-long stdout line dropped (the handler uses the protocol pipe)');
      },
      onStderrLine: (line) => {
        this.#tail.push(line);
        const only = this.#onlyStarted();
        this.#log.info(only === undefined ? { stderr: line } : { stderr: line, task: only }, 'handler stderr');
      },
      onStderrOverflow: (bytes) => this.#log.warn({ bytes }, 'handler stderr line over the maximum line size dropped'),
    });
    this.#child.once('exit', (code, signal) => this.#onProcessExit({ code, signal }));
    this.exited = this.#child.then((result) => {
      // execa settles once the process exited and its pipes closed (all replies read).
      const info: ExitInfo = this.#processExit ?? { code: result.exitCode ?? null, signal: result.signal ?? null };
      if (result.failed && info.code === null && info.signal === null && result.originalMessage) {
        this.#tail.push(result.originalMessage);
      }
      this.#onExit(info);
      return info;
    });
    if (opts.mode === 'oneshot') this.#markReady(1); // a ready line is accepted but not required in one-shot mode
  }

  /** The id of the one started task, if exactly one runs (a stderr line is then surely its). */
  #onlyStarted(): string | undefined {
    let only: string | undefined;
    for (const [id, task] of this.#inFlight) {
      if (!task.started) break;
      if (only !== undefined) return undefined;
      only = id;
    }
    return only;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** Task slots in use, including timed-out tasks the handler has not answered yet. */
  get busy(): number {
    return this.#inFlight.size;
  }

  /** Tasks it may be written beyond its declared concurrency (0 in one-shot mode). */
  get pipeline(): number {
    if (this.#autoWriteAhead) return this.#autoWriteAhead.depth;
    return this.mode === 'long' && this.#opts.pipeline !== 'auto' ? this.#opts.pipeline : 0;
  }

  /** Free task slots (written-ahead ones included), 0 unless ready. */
  get free(): number {
    return this.state === 'ready' && !this.#terminating ? Math.max(0, this.concurrency + this.pipeline - this.#inFlight.size) : 0;
  }

  /** Run one attempt in this process: resolves with its outcome, never rejects. Throws POOL_STOPPED if the process cannot take it (the pool only offers work to a ready process with a free slot). */
  run(attempt: TaskAttempt): Promise<AttemptOutcome> {
    if (this.state !== 'ready' || this.#inFlight.has(attempt.id)) {
      const why = this.#inFlight.has(attempt.id) ? 'already runs this task' : `is ${this.state}`;
      throw new DroverError('POOL_STOPPED', `process ${this.name} cannot take task ${attempt.id}: it ${why}`);
    }
    this.tasksStarted += 1;
    // Written ahead: the handler is busy with as many tasks as it takes at once, so this line
    // can wait for the end of the turn and share one write (one wake-up) with the others.
    const writtenAhead = this.#inFlight.size >= this.concurrency;
    const task = new InFlightTask(attempt, this.#timedOut);
    this.#inFlight.set(attempt.id, task);
    // deadline_ms from the write time: a written-ahead task's real timeout starts later, so the
    // handler's deadline is never later than ours (docs/protocol.md).
    void this.#stdin.writeLine(taskLine(attempt, task.writtenAt), writtenAhead);
    if (this.mode === 'oneshot') this.#stdin.end();
    this.#startWaiting();
    return task.outcome;
  }

  /**
   * Start the tasks the handler has a slot for: FIFO by write order, a task starts once fewer
   * than `concurrency` tasks written before it are unanswered (timed-out ones still hold theirs).
   */
  #startWaiting(): void {
    let slots = this.concurrency;
    for (const task of this.#inFlight.values()) {
      if (slots === 0) return;
      task.start();
      slots -= 1;
    }
  }

  /** The handler answered (or gave up) this task: its slot frees and the next waiting task starts. */
  #release(taskId: string): void {
    // Its timers go with it: a cancel grace armed before a late reply would hold the process open.
    this.#inFlight.get(taskId)?.cancelTimers();
    this.#inFlight.delete(taskId);
    this.#startWaiting();
  }

  /**
   * Ask the handler to cancel a task; it is killed if it has not answered after the grace
   * period. False when the task already has its outcome (its reply won the race).
   */
  cancel(taskId: string, message = 'cancelled'): boolean {
    const task = this.#inFlight.get(taskId);
    if (!task || task.settled) return false;
    task.fail({ message, reason: 'cancelled' }, false);
    this.#sendCancel(task);
    return true;
  }

  /** EOF on stdin: the handler finishes in-flight work and exits. */
  drain(): void {
    if (this.state === 'exited') return;
    if (this.state !== 'starting') this.state = 'draining';
    this.#stdin.end();
  }

  /** SIGTERM to the process group now, SIGKILL after killGraceMs. Resolves when it exited. */
  terminate(why: string): Promise<ExitInfo> {
    if (this.state !== 'exited') {
      this.#terminating = true;
      this.#log.info({ why }, 'terminating handler process');
      if (this.state !== 'starting') this.state = 'draining';
      this.#signal('SIGTERM');
      this.#killTimer ??= setTimeout(() => this.kill('did not exit after SIGTERM'), this.#opts.killGraceMs);
    }
    return this.exited;
  }

  kill(why: string): void {
    if (this.state === 'exited') return;
    this.#log.warn({ why }, 'killing handler process group with SIGKILL');
    this.#signal('SIGKILL');
  }

  #signal(signal: NodeJS.Signals): void {
    if (this.#child.pid !== undefined) signalGroup(this.#child.pid, signal);
  }

  #onLine(line: HandlerLine): void {
    switch (line.kind) {
      case 'ready':
        if (this.state === 'starting' && !this.#terminating) this.#markReady(line.concurrency);
        else if (this.#terminating) this.#log.info('ready line after the load phase failed: ignored, the process is being stopped');
        else if (this.mode === 'long') this.#log.warn('ignoring a second ready line');
        return;
      case 'load_error':
        this.#loadError = line.message.error;
        if (this.mode === 'oneshot') this.#failInFlight(line.message.error);
        else this.#load.fail(line.message.error);
        return;
      case 'result':
        return this.#onResult(line.message.task_id, line);
      case 'progress':
      case 'partial':
        return this.#onTaskEvent(line);
      case 'invalid':
        this.counters.invalidLines += 1;
        if (line.taskId !== undefined && this.#inFlight.has(line.taskId)) {
          const task = this.#inFlight.get(line.taskId)!;
          this.#release(line.taskId);
          task.fail({ message: `handler sent an invalid reply: ${line.why}`, type: 'ProtocolError', reason: 'error' }, false);
        } else {
          this.#log.warn({ line: line.text.slice(0, 500), why: line.why }, 'invalid protocol line ignored');
        }
        return;
      case 'stray':
        this.counters.strayLines += 1;
        for (const task of this.#inFlight.values()) {
          task.lastStray = line.text;
          task.lastStrayWhy = line.why;
        }
        this.#log.warn({ stdout: line.text.slice(0, 2000), why: line.why }, 'handler output (not a protocol message)');
        return;
    }
  }

  #onResult(taskId: string, line: Extract<HandlerLine, { kind: 'result' }>): void {
    const task = this.#inFlight.get(taskId);
    if (!task) {
      this.counters.unknownReplies += 1;
      this.#log.warn({ task: taskId }, 'reply for a task this process does not run: dropped');
      return;
    }
    this.#release(taskId);
    // auto writes ahead only into a process that takes one task at a time. One that declared more
    // already holds several; a batching one that got tasks written ahead saw them arrive while a
    // batch ran and started its next batch partial (batch=32: 27-28 items, 2,200 vs 3,300 tasks/s).
    if (this.concurrency === 1 && this.#autoWriteAhead?.note(task.elapsedPrecise())) this.#opts.onCapacityChange?.();
    if (task.settled) {
      this.counters.lateReplies += 1;
      this.#log.info({ task: taskId }, 'reply after the task timed out or was cancelled: dropped');
      return;
    }
    if (!task.started && isShutdownDecline(line.message)) {
      // An SDK that got SIGTERM declines the tasks it did not start: this one never ran.
      task.cancelTimers();
      task.settle(notStartedHere('the handler declined it while shutting down, before it started'));
      return;
    }
    task.start(); // answered before we saw its predecessors' replies: it did run
    task.settleFromReply(line.message);
  }

  #onTaskEvent(line: Extract<HandlerLine, { kind: 'progress' | 'partial' }>): void {
    const task = this.#inFlight.get(line.message.task_id);
    if (task && !task.settled) this.#opts.onTaskEvent?.(toTaskEvent(line));
  }

  #onOverflow(bytes: number): void {
    const limit = this.#opts.maxLineBytes;
    // A written-ahead task that has not started cannot have written it; it is settled at exit.
    const tasks = [...this.#inFlight.values()].filter((t) => !t.settled && t.started);
    const message = `handler wrote a protocol line of ${bytes} bytes, over the maximum of ${limit} bytes (--max-line-bytes); the process is recycled`;
    this.#log.error({ bytes, limit }, 'over-long protocol line');
    for (const task of tasks) {
      // With one task in flight the line was its reply: a permanent error. Otherwise we cannot
      // tell whose it was, so every task in flight may try again elsewhere.
      task.fail({ message, type: 'LineTooLong', reason: 'error' }, tasks.length > 1);
    }
    void this.terminate('over-long protocol line');
  }

  /** Every task's timeout callback (one function per process, not one per task). */
  readonly #timedOut = (task: InFlightTask): void => this.#onTimeout(task);

  #onTimeout(task: InFlightTask): void {
    const stray = task.lastStray === undefined ? '' : ` (its last non-protocol output, ${task.lastStrayWhy ?? 'not a reply'}: ${JSON.stringify(task.lastStray.slice(0, 200))})`;
    task.fail({ message: `task timed out after ${task.attempt.timeoutMs} ms${stray}`, type: 'Timeout', reason: 'timeout' }, true);
    this.#sendCancel(task);
  }

  #sendCancel(task: InFlightTask): void {
    if (this.mode === 'oneshot') {
      void this.terminate(`task ${task.attempt.id} timed out or was cancelled`);
      return;
    }
    void this.#stdin.write({ type: 'cancel', task_id: task.attempt.id });
    task.startCancelGrace(this.#opts.cancelGraceMs, () => {
      if (this.#inFlight.get(task.attempt.id) === task) {
        void this.terminate(`task ${task.attempt.id} did not stop within ${this.#opts.cancelGraceMs} ms of its cancel message`);
      }
    });
  }

  /** One-shot mode: a load error line is the task's failure (the process then exits). */
  #failInFlight(message: string): void {
    for (const task of this.#inFlight.values()) {
      task.fail({ message, type: 'LoadFailed', reason: 'load_failed' }, true);
    }
  }

  #markReady(concurrency: number): void {
    this.state = 'ready';
    this.concurrency = concurrency;
    this.readyAt = Date.now();
    if (this.mode === 'long') this.#log.info({ concurrency, loadMs: this.readyAt - this.spawnedAt }, 'handler ready');
    this.#load.succeed();
  }

  #loadTimedOut(): void {
    if (this.state !== 'starting') return;
    this.#load.fail(`handler did not become ready within ${this.#opts.loadTimeoutMs} ms (--load-timeout)${this.#tail.format()}`);
    void this.terminate('load timeout');
  }

  /**
   * The handler itself exited. Its children may live on holding our pipes (an ffmpeg, a
   * DataLoader worker), which would keep execa from settling: kill what is left of its process
   * group, and if the pipes are still open after a grace period, stop reading them.
   */
  #onProcessExit(info: ExitInfo): void {
    this.#processExit = info;
    if (this.#child.pid !== undefined) signalGroup(this.#child.pid, 'SIGKILL');
    this.#pipeCloseTimer = setTimeout(() => {
      if (this.state === 'exited') return;
      this.#log.warn('handler exited but its output pipes stayed open (a child escaped its process group?); closing them');
      for (const stream of [this.#child.stdout, this.#child.stderr, this.#child.stdio[3] as Readable]) stream.destroy();
    }, PIPE_CLOSE_GRACE_MS).unref();
  }

  #onExit(info: ExitInfo): void {
    const wasStarting = this.state === 'starting';
    this.state = 'exited';
    clearTimeout(this.#killTimer);
    clearTimeout(this.#pipeCloseTimer); // one-shot: else a timer per task lingers for 2 s
    const how = describeExit(info);
    if (wasStarting) {
      const detail = this.#loadError ?? `handler ${how} before it became ready${this.#tail.format()}`;
      this.#load.fail(detail);
    }
    // A one-shot process that answered and exited 0 is the routine end of every task: debug,
    // like a task completion (at info it was a log line, and a pipe write, per task).
    const level = this.mode === 'oneshot' && info.code === 0 && this.#inFlight.size === 0 ? 'debug' : 'info';
    if (this.#log.isLevelEnabled(level)) this.#log[level]({ code: info.code, signal: info.signal, tasksStarted: this.tasksStarted }, `handler ${how}`);
    for (const task of this.#inFlight.values()) {
      task.cancelTimers();
      if (task.settled) continue;
      if (!task.started) {
        task.settle(notStartedHere(`handler process ${how} before this written-ahead task started${this.#tail.format()}`));
        continue;
      }
      const replied = this.mode === 'oneshot' && info.code === 0 ? ' without replying' : '';
      task.fail({ message: `handler process ${how}${replied} while running this task${this.#tail.format()}`, type: 'HandlerCrash', reason: 'handler_crash' }, true);
    }
    this.#inFlight.clear();
  }
}

/** A written-ahead task that never started in this process: the pool may run it elsewhere without counting an attempt. */
function notStartedHere(message: string): AttemptOutcome {
  return { ok: false, error: { message, type: 'HandlerCrash', reason: 'handler_crash' }, retry: true, durationMs: 0, notStarted: true };
}

/** `{"error":{"type":"ShutdownError",...},"retry":true}`: what the SDKs answer for tasks they did not start after SIGTERM. */
function isShutdownDecline(reply: ResultMessage): boolean {
  const error = reply.error;
  return reply.retry === true && typeof error === 'object' && error !== null && (error as { type?: unknown }).type === 'ShutdownError';
}
