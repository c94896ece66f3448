import { EventEmitter } from 'node:events';
import { DroverError } from '../errors.js';
import type { AttemptOutcome, TaskAttempt } from '../queue/task.js';
import { HandlerProcess } from './handler-process.js';
import { PoolHealthState, type PoolHealth, type PoolHealthEvents } from './pool-health.js';
import { normalizePoolOptions, type NormalizedPoolOptions, type PoolOptions } from './pool-options.js';
import { OneshotRecovery } from './oneshot-recovery.js';
import { OrphanReaper } from './orphan-reaper.js';
import { recycleReason } from './recycle-check.js';
import { RestartBackoff } from './restart-backoff.js';

export type { PoolHealth } from './pool-health.js';

interface QueuedRun {
  attempt: TaskAttempt;
  resolve: (outcome: AttemptOutcome) => void;
  /** Put back once already because its process exited before it started (written ahead). */
  putBack?: boolean;
}

/** A long-lived process slot: one process at a time, restarted with backoff. */
interface Slot {
  proc: HandlerProcess | undefined;
  backoff: RestartBackoff;
  restartTimer: NodeJS.Timeout | undefined;
  /** Its last process crashed before stableUptimeMs: the next one writes ahead later (write-ahead.ts). */
  crashedSoon?: boolean;
}

/** What each handler process is doing, for metrics and health checks. */
export const PROCESS_STATES = ['starting', 'ready', 'busy', 'recycling', 'crashed'] as const;
/**
 * Handler processes per state: `starting` (loading), `ready` (idle), `busy` (running a task),
 * `recycling` (draining or being stopped), `crashed` (a long-lived slot whose process exited
 * and waits for its restart with backoff).
 */
export type ProcessStateCounts = Record<(typeof PROCESS_STATES)[number], number>;

export interface PoolStats {
  health: PoolHealth;
  processes: number;
  ready: number;
  running: number;
  queued: number;
  restarts: number;
  failedStarts: number;
  strayLines: number;
  unknownReplies: number;
}


/**
 * The process pool: runs attempts on handler processes, long-lived (N slots, each loading
 * once, restarted with capped backoff, recycled by task count or memory) or one-shot (a
 * process per task, at most N at once). Callers do retries; the pool runs one attempt.
 */
export class Pool extends EventEmitter<PoolHealthEvents> {
  readonly options: NormalizedPoolOptions;
  readonly #health: PoolHealthState;
  readonly #slots: Slot[] = [];
  /** Every live process: slot members, retiring long-lived ones, one-shot ones. */
  readonly #procs = new Set<HandlerProcess>();
  readonly #owner = new Map<string, HandlerProcess>();
  readonly #queue: QueuedRun[] = [];
  readonly #counters = { restarts: 0, strayLines: 0, unknownReplies: 0 };
  #spawned = 0;
  #closed = false;
  /** Kills the handlers' leftover children if this process dies uncleanly (created with the first process). */
  #reaper: OrphanReaper | undefined;
  /** One-shot only: probes an unhealthy pool with one task after a backoff. */
  readonly #recovery: OneshotRecovery | undefined;

  constructor(options: PoolOptions) {
    super();
    this.options = normalizePoolOptions(options);
    this.#health = new PoolHealthState(this.options.maxFailedStarts, this.options.logger);
    this.#health.on('healthy', () => this.emit('healthy'));
    this.#health.on('starting', () => this.emit('starting'));
    this.#health.on('unhealthy', (error) => this.emit('unhealthy', error));
    if (this.options.mode === 'oneshot') {
      this.#recovery = new OneshotRecovery(this.#health, this.options.maxRestartDelayMs, () => {
        this.emit('capacity');
        this.#dispatch();
      });
    }
  }

  /**
   * Whether tasks should be handed to the pool now: healthy, or an unhealthy one-shot pool
   * letting one task through as a probe (capacity 1, see OneshotRecovery).
   */
  get accepting(): boolean {
    return this.health === 'healthy' || this.#recovery?.probing === true;
  }

  get health(): PoolHealth {
    return this.#health.health;
  }

  /** The last load failure (UNHEALTHY once the pool gave up), verbatim from the handler. */
  get lastLoadError(): DroverError | undefined {
    return this.#health.lastLoadError;
  }

  start(): void {
    if (this.options.mode === 'oneshot') {
      this.#health.set('healthy');
      return;
    }
    const o = this.options;
    for (let index = 0; index < o.concurrency; index += 1) {
      const slot: Slot = { proc: undefined, backoff: new RestartBackoff(o.restartDelayMs, o.maxRestartDelayMs, o.stableUptimeMs), restartTimer: undefined };
      this.#slots.push(slot);
      this.#spawnInto(slot);
    }
  }

  /** Resolves once a process is ready (at once in one-shot mode); rejects when the pool turns unhealthy. */
  whenReady(): Promise<void> {
    return this.#health.whenReady();
  }

  /** Task slots: per long-lived process its declared concurrency plus `pipeline` (1 until ready); one-shot: concurrency. */
  get capacity(): number {
    if (this.options.mode === 'oneshot') return this.#recovery?.probing === true ? 1 : this.options.concurrency;
    return this.#slots.reduce((sum, s) => sum + (s.proc?.state === 'ready' ? s.proc.concurrency + s.proc.pipeline : 1), 0);
  }

  /** Run one attempt. Never rejects: every failure is an outcome. */
  run(attempt: TaskAttempt): Promise<AttemptOutcome> {
    if (this.#closed) {
      return Promise.resolve(notStarted('the pool is stopping'));
    }
    if (this.#owner.has(attempt.id) || this.#queue.some((q) => q.attempt.id === attempt.id)) {
      const message = `task ${attempt.id} is already running in this pool; a task id runs once at a time`;
      return Promise.resolve({ ok: false, error: { message, type: 'DuplicateTask', reason: 'error' }, retry: false, durationMs: 0 });
    }
    return new Promise((resolve) => {
      this.#queue.push({ attempt, resolve });
      this.#dispatch();
    });
  }

  /** Cancel a queued or running attempt. False when the pool does not run it (or it just finished). */
  cancel(taskId: string, message = 'cancelled'): boolean {
    const index = this.#queue.findIndex((q) => q.attempt.id === taskId);
    if (index >= 0) {
      const [queued] = this.#queue.splice(index, 1);
      queued!.resolve({ ok: false, error: { message, reason: 'cancelled' }, retry: false, durationMs: 0 });
      return true;
    }
    return this.#owner.get(taskId)?.cancel(taskId, message) ?? false;
  }

  /** Take back every attempt still waiting for a process; their runs resolve as not started. */
  takeQueued(why: string): TaskAttempt[] {
    const taken = this.#queue.splice(0, this.#queue.length);
    for (const q of taken) q.resolve(notStarted(why));
    return taken.map((q) => q.attempt);
  }

  stats(): PoolStats {
    let ready = 0;
    let strayLines = this.#counters.strayLines;
    let unknownReplies = this.#counters.unknownReplies;
    for (const p of this.#procs) {
      if (p.state === 'ready') ready += 1;
      strayLines += p.counters.strayLines;
      unknownReplies += p.counters.unknownReplies;
    }
    return { health: this.health, processes: this.#procs.size, ready, running: this.#owner.size, queued: this.#queue.length, restarts: this.#counters.restarts, failedStarts: this.#health.consecutiveFailedStarts, strayLines, unknownReplies };
  }

  /** Handler processes per state (see ProcessStateCounts). */
  processStates(): ProcessStateCounts {
    const counts: ProcessStateCounts = { starting: 0, ready: 0, busy: 0, recycling: 0, crashed: 0 };
    for (const p of this.#procs) {
      if (p.state === 'starting') counts.starting += 1;
      else if (p.state === 'ready') counts[p.busy > 0 ? 'busy' : 'ready'] += 1;
      else if (p.state === 'draining') counts.recycling += 1;
    }
    if (!this.#closed) for (const slot of this.#slots) if (slot.proc === undefined && slot.restartTimer !== undefined) counts.crashed += 1;
    return counts;
  }

  /**
   * Graceful stop. Order: take no more work; attempts not yet started resolve as not started;
   * EOF to every process so it finishes in-flight work and exits; after `graceMs` SIGTERM to
   * the process groups still alive (their tasks resolve as interrupted), SIGKILL after killGraceMs.
   */
  async stop(graceMs = 30_000): Promise<void> {
    if (this.#closed) {
      // Stopped again (a second SIGTERM sends graceMs 0): a shorter grace cuts the first one short.
      const sooner = setTimeout(() => {
        for (const proc of this.#procs) void proc.terminate(`still running ${graceMs} ms after a second stop`);
      }, graceMs);
      await this.#waitAllExited();
      clearTimeout(sooner);
      return;
    }
    this.#closed = true;
    this.#recovery?.stop();
    this.takeQueued('the pool is stopping');
    for (const slot of this.#slots) clearTimeout(slot.restartTimer);
    for (const proc of this.#procs) proc.drain();
    const grace = setTimeout(() => {
      for (const proc of this.#procs) void proc.terminate(`still running ${graceMs} ms after stop`);
    }, graceMs);
    await this.#waitAllExited();
    clearTimeout(grace);
    this.#reaper?.close();
    this.#health.set('stopped');
  }

  async #waitAllExited(): Promise<void> {
    while (this.#procs.size > 0) await Promise.all([...this.#procs].map((p) => p.exited));
  }

  #newProcess(afterCrash = false): HandlerProcess {
    this.#spawned += 1;
    const o = this.options;
    const proc = new HandlerProcess({
      command: o.command,
      mode: o.mode,
      name: `p${this.#spawned}`,
      maxLineBytes: o.maxLineBytes,
      loadTimeoutMs: o.loadTimeoutMs,
      cancelGraceMs: o.cancelGraceMs,
      killGraceMs: o.killGraceMs,
      pipeline: o.pipeline,
      logger: o.logger,
      onTaskEvent: o.onTaskEvent,
      onCapacityChange: () => {
        this.#dispatch();
        this.emit('capacity');
      },
      afterCrash,
    });
    this.#procs.add(proc);
    (this.#reaper ??= new OrphanReaper()).add(proc.pid);
    void proc.exited.then(() => {
      this.#procs.delete(proc);
      this.#reaper?.remove(proc.pid);
      this.#counters.strayLines += proc.counters.strayLines;
      this.#counters.unknownReplies += proc.counters.unknownReplies;
      this.#dispatch(); // one-shot: a process slot just freed up
    });
    return proc;
  }

  #spawnInto(slot: Slot): void {
    const proc = this.#newProcess(slot.crashedSoon);
    slot.proc = proc;
    proc.ready.then(
      () => {
        this.#onStarted();
        this.emit('capacity');
      },
      (error: DroverError) => {
        this.#health.failedStart(error);
        void proc.terminate('load failed');
      },
    );
    void proc.exited.then(() => {
      if (slot.proc !== proc) return; // a retired process: its replacement already runs
      slot.proc = undefined;
      if (this.#closed) return;
      // No process left ready (a crash of the only one): say so, so that a supervisor hands
      // its buffered tasks back instead of holding them through a long model load.
      if (this.health === 'healthy' && !this.#slots.some((s) => s.proc?.state === 'ready')) this.#health.set('starting');
      const uptime = proc.readyAt === undefined ? 0 : Date.now() - proc.readyAt;
      slot.crashedSoon = uptime < this.options.stableUptimeMs;
      const delay = slot.backoff.next(uptime);
      this.#counters.restarts += 1;
      slot.restartTimer = setTimeout(() => {
        slot.restartTimer = undefined;
        if (!this.#closed) this.#spawnInto(slot);
      }, delay);
    });
  }

  #onStarted(): void {
    this.#health.started();
    this.#dispatch();
  }

  #pickProcess(): HandlerProcess | undefined {
    let best: HandlerProcess | undefined;
    for (const slot of this.#slots) {
      const p = slot.proc;
      if (!p || p.free === 0 || this.#usedUp(p)) continue;
      if (!best || p.free > best.free) best = p;
    }
    if (best || this.options.mode === 'long') return best;
    // An unhealthy one-shot pool starts nothing but its probe: a queued task waits to be taken back.
    if (!this.accepting || this.#procs.size >= this.capacity) return undefined;
    return this.#newProcess();
  }

  /** A process that reached --max-tasks-per-process takes no more work (it is being recycled). */
  #usedUp(proc: HandlerProcess): boolean {
    return this.options.maxTasksPerProcess > 0 && proc.tasksStarted >= this.options.maxTasksPerProcess;
  }

  #dispatch(): void {
    while (this.#queue.length > 0 && !this.#closed) {
      const proc = this.#pickProcess();
      if (!proc) return;
      const queued = this.#queue.shift()!;
      this.#runOn(proc, queued);
    }
  }

  #runOn(proc: HandlerProcess, queued: QueuedRun): void {
    const id = queued.attempt.id;
    this.#owner.set(id, proc);
    proc.run(queued.attempt).then((outcome) => {
      this.#owner.delete(id);
      if (!outcome.ok && outcome.notStarted && !this.#closed) {
        // Written ahead to a process that exited before it started: it never ran. Run it on
        // the next ready process, once; a second time it counts as the crash it may be.
        if (!queued.putBack) {
          // Ahead of new work, behind tasks put back before it (they were written earlier).
          const at = this.#queue.findIndex((q) => !q.putBack);
          this.#queue.splice(at < 0 ? this.#queue.length : at, 0, { ...queued, putBack: true });
          this.#dispatch();
          return;
        }
        delete outcome.notStarted;
      }
      if (outcome.ok) this.#slots.find((s) => s.proc === proc)?.backoff.reset(); // a working handler restarts fast
      if (proc.mode === 'oneshot') this.#countOneshotStart(outcome);
      queued.resolve(this.#closed && !outcome.ok && isShutdownCasualty(outcome) ? { ...outcome, interrupted: true } : outcome);
      if (this.#mayRecycle(proc)) void this.#afterTask(proc);
      this.#dispatch();
    });
  }

  /**
   * One-shot processes have no separate start: a load error line counts as a failed start. An
   * exit without an answer does not (a script that exits 1 on a bad input would otherwise stop
   * the pool after a few bad inputs in a row); it fails its task as handler_crash.
   */
  #countOneshotStart(outcome: AttemptOutcome): void {
    if (!outcome.ok && outcome.error.reason === 'load_failed') {
      if (this.#closed) return;
      this.#health.failedStart(new DroverError('LOAD_FAILED', outcome.error.message));
      this.#recovery?.afterFailedStart();
    } else if (outcome.ok || outcome.error.reason === 'error') {
      this.#onStarted(); // the handler answered: it did start
    }
  }

  async #afterTask(proc: HandlerProcess): Promise<void> {
    const why = await recycleReason(proc, this.options);
    if (why && proc.state === 'ready' && !this.#closed) this.#retire(proc, why);
  }

  /** Whether a long-lived process may need recycling after a task (no limits: never, and no check per task). */
  #mayRecycle(proc: HandlerProcess): boolean {
    const o = this.options;
    return proc.mode === 'long' && proc.state === 'ready' && !this.#closed && (o.maxTasksPerProcess > 0 || o.maxRssBytes > 0);
  }

  /** Recycle: start the replacement now (it loads while the old one finishes), then EOF the old one. */
  #retire(proc: HandlerProcess, why: string): void {
    const slot = this.#slots.find((s) => s.proc === proc);
    if (!slot) return;
    this.options.logger.info({ proc: proc.name, pid: proc.pid }, `recycling handler process: it ${why}`);
    this.#spawnInto(slot);
    proc.drain();
    const killLater = (): void => {
      if (proc.busy === 0) {
        setTimeout(() => void proc.terminate('did not exit after EOF'), this.options.killGraceMs).unref();
      } else {
        setTimeout(killLater, 100).unref();
      }
    };
    killLater();
  }
}

/** Killed by our own stop, or declined by an SDK that got SIGTERM (error type ShutdownError, retry true). */
function isShutdownCasualty(outcome: Extract<AttemptOutcome, { ok: false }>): boolean {
  return outcome.error.reason === 'handler_crash' || (outcome.retry && outcome.error.type === 'ShutdownError');
}

function notStarted(why: string): AttemptOutcome {
  return { ok: false, error: { message: why, reason: 'cancelled' }, retry: true, durationMs: 0, notStarted: true };
}
