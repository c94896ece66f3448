import { hostname } from 'node:os';
import type { AttemptOutcome, TaskEvent } from '../queue/task.js';
import type { ClaimedTask } from '../queue/redis/backend.js';
import { createCompletionBatcher } from './completion-batcher.js';
import { createIntervalLoop } from './interval-loop.js';
import { createLeaseKeeper } from './lease-keeper.js';
import { createRecoverer } from './recoverer.js';
import { RearmHold } from './rearm-hold.js';
import { isDroverError } from '../errors.js';
import { claimOrder, claimSteps } from './queue-selector.js';
import { untilWritten } from './redis-retry.js';
import { normalizeSupervisorOptions, type SupervisorOptions } from './supervisor-options.js';
import { settledAttempt, type AttemptResult } from './supervisor-observer.js';

export interface SupervisorStats {
  id: string;
  claimed: number;
  completed: number;
  failed: number;
  requeued: number;
  leasesLost: number;
  active: number;
}

export interface Supervisor {
  readonly id: string;
  start(): void;
  /** Graceful stop (order below). Resolves when nothing of ours is left active in Redis. */
  stop(): Promise<void>;
  stats(): SupervisorStats;
  /** Progress and partial output from the pool, stored on the task and streamed to clients. */
  onTaskEvent(event: TaskEvent): void;
}

/**
 * Feeds Redis tasks to the pool. Claims only what the pool can start at once plus `prefetch`
 * per slot, renews the leases of everything it holds, writes each outcome back (completing a
 * task claims the next one in the same round trip), and sweeps expired leases of dead peers.
 *
 * Shutdown order:
 *   1. stop claiming (the idle block on Redis is abandoned);
 *   2. claimed-but-not-started tasks are requeued at once, their attempt not counted;
 *   3. handlers get EOF and finish in-flight tasks within `shutdownGraceMs`; what is still running
 *      then is killed and requeued, attempt not counted;
 *   4. every outcome is written to Redis (leases keep being renewed until then);
 *   5. the heartbeat, recoverer, registration and cancel subscription stop.
 */
export function createSupervisor(options: SupervisorOptions): Supervisor {
  const o = normalizeSupervisorOptions(options);
  const { backend, pool, logger } = o;
  const log = logger.child({ supervisor: o.id });
  const queueNames = o.queues.map((q) => q.name);
  const held = new Map<string, ClaimedTask>();
  /** Attempts whose lease was lost: their outcome is not written (a newer attempt owns the task). */
  const lost = new Set<ClaimedTask>();
  /**
   * Per task id, the attempt still settling: a re-claim of the same id waits for it. An older
   * attempt replaced here is awaited by its successor, so these cover every attempt in flight.
   */
  const attempts = new Map<string, Promise<void>>();
  /** Per claim, the progress/partial writes still in flight (its outcome is written after them). */
  const eventWrites = new Map<ClaimedTask, Promise<void>>();
  /** Per task id, the claim whose attempt the pool is running. */
  const running = new Map<string, ClaimedTask>();
  const counters = { claimed: 0, completed: 0, failed: 0, requeued: 0, leasesLost: 0 };
  let stopping = false;
  /** With weights: per queue, the slots completions drew for it without claiming it themselves. */
  const drawnShares = new Map<string, number>();
  /** The claim in flight when Redis went away: retried with the same requestId. */
  let unanswered: { queue: string; requestId: string } | undefined;
  let requestSeq = 0;
  const requestPrefix = o.id.replace(/[^A-Za-z0-9_.:@+/=-]/g, '_').slice(0, 100);
  const newRequestId = (): string => `${requestPrefix}:${(requestSeq += 1)}`;
  let stopDeadline = Infinity;
  let wake: (() => void) | undefined;
  /** The fetch loop waits for work (every queue was empty when it began to). */
  let idling = false;
  let fetchLoop: Promise<void> | undefined;
  let unsubscribe: (() => Promise<void>) | undefined;

  // Without weights the order never changes: one array, shared (callers only read it).
  const fixedOrder = o.queues.some((q) => q.weight !== undefined) ? undefined : claimOrder(o.queues);
  const nextClaimOrder = (): readonly string[] => fixedOrder ?? claimOrder(o.queues);
  const target = (): number => pool.capacity * (1 + o.prefetch);
  // A supervisor of one queue that blocks on an empty queue is handed the next task by its
  // enqueue (dispatch.lua): one round trip less after a wakeup. Registered for as long as it may
  // block, and a margin; it leaves the idle list when it stops waiting for any other reason.
  // Set at start, when this backend's inbox for the queue is ours (not another supervisor's).
  let idleMs: number | undefined;
  const rearmHold = new RearmHold();
  const nudge = (): void => {
    wake?.();
    wake = undefined;
  };
  const giveUp = (): boolean => stopping && Date.now() > stopDeadline;

  const heartbeat = createLeaseKeeper({
    backend,
    pool,
    supervisorId: o.id,
    leaseMs: o.leaseMs,
    held,
    lost,
    logger: log,
    onLeaseLost: () => (counters.leasesLost += 1),
  });
  const recoverer = createRecoverer({ backend, queues: queueNames, intervalMs: o.recoverIntervalMs, logger: log, onRecovered: (r) => o.observer?.recovered?.(r) });
  const register = (): Promise<void> =>
    backend.registerSupervisor(
      { id: o.id, hostname: hostname(), pid: process.pid, queues: queueNames, concurrency: pool.options.concurrency, health: pool.health, active: held.size, processes: pool.processStates() },
      15_000,
    );
  const registration = createIntervalLoop({ name: 'registration', intervalMs: 5000, logger: log, run: register });
  // `drover stats` should show a health change now, not at the next registration tick.
  const reportHealth = (): void => void register().catch(() => undefined);

  const start = (task: ClaimedTask): void => {
    held.set(task.id, task);
    counters.claimed += 1;
    const done: Promise<void> = runAttempt(task, attempts.get(task.id)).finally(() => {
      if (held.get(task.id) === task) held.delete(task.id);
      if (attempts.get(task.id) === done) attempts.delete(task.id);
      if (running.get(task.id) === task) running.delete(task.id);
      lost.delete(task);
      // The fetch loop only has something to do when there is room (or the pool stopped
      // accepting). Not while it idles: it found every queue empty, and new work wakes it (a
      // claim and a wake-peek per finished task for nothing, on the latency path).
      if (stopping || !pool.accepting || (held.size < target() && !idling)) nudge();
    });
    attempts.set(task.id, done);
  };

  /**
   * One claim, run and settled; never rejects. After a lost lease this supervisor may claim the
   * same task again while the old attempt is still being cancelled: the new attempt starts only
   * once the old one (`previous`) has let go. Without one, the pool gets the task at once.
   */
  const runAttempt = async (task: ClaimedTask, previous: Promise<void> | undefined): Promise<void> => {
    try {
      if (previous) await previous;
      running.set(task.id, task);
      // A task enqueued without a timeout gets the supervisor's (--timeout), if any.
      const outcome = await pool.run(o.taskTimeoutMs > 0 && !task.timeoutMs ? withTimeout(task, o.taskTimeoutMs) : task);
      const settled = settle(task, outcome);
      rearmHold.release(); // after settle's first write went out (a complete is sent synchronously)
      await settled;
    } catch (error) {
      log.error({ task: task.id, error: (error as Error).message }, 'settling a task failed');
    }
  };

  // Completions that finish while one is being written go out together (group commit).
  const completions = createCompletionBatcher({
    backend,
    write: (what, fn) => untilWritten(what, fn, log, giveUp),
    // One requestId for every retry of a call: a re-sent claim-next returns the same tasks. A
    // supervisor that is handed tasks (idleMs) gives the slots these completions free back to
    // its idle entry when the claim drains the queue, instead of claiming again to register.
    claimOptions: (count, completing) => {
      if (stopping || !pool.accepting) return undefined;
      const claim = { supervisorId: o.id, leaseMs: o.leaseMs, count, requestId: newRequestId() };
      return idleMs === undefined ? claim : { ...claim, idleMs, idleSlots: Math.max(0, target() - held.size + completing) };
    },
    slots: () => pool.capacity,
    onClaimed: (task) => start(task),
    logger: log,
  });

  const observe = (task: ClaimedTask, outcome: AttemptOutcome, result: AttemptResult): void => o.observer?.settled?.(settledAttempt(task.queue, outcome, result));

  const settle = async (task: ClaimedTask, outcome: AttemptOutcome): Promise<void> => {
    const writes = eventWrites.get(task);
    if (writes) {
      await writes;
      eventWrites.delete(task);
    }
    if (lost.has(task)) return observe(task, outcome, 'lease_lost'); // the backend would refuse it anyway (stale fencing token)
    if (outcome.ok) {
      // Claim the next task in the same round trip only from the queue that would be tried
      // first anyway, so queue priority and weights still hold. With weights, the slot this
      // completion frees is one weighted draw: a draw of another queue is kept for the fetch
      // loop's refill (drawing again there would favour the heavy queue twice).
      const order = nextClaimOrder();
      const hasRoom = !stopping && pool.accepting && held.size - 1 < target();
      const wantNext = hasRoom && order[0] === task.queue;
      if (hasRoom && !wantNext && !fixedOrder) drawnShares.set(order[0]!, (drawnShares.get(order[0]!) ?? 0) + 1);
      const accepted = await completions.submit(task, outcome.result, wantNext);
      if (accepted) {
        counters.completed += 1;
        observe(task, outcome, 'completed');
        if (log.isLevelEnabled('debug')) log.debug({ task: task.id, queue: task.queue, attempt: task.attempts, ms: outcome.durationMs }, 'task completed');
      } else if (accepted === false) {
        log.warn({ task: task.id }, 'result dropped: the lease was lost and the task reassigned');
        observe(task, outcome, 'stale');
      }
      return;
    }
    if (outcome.notStarted || outcome.interrupted) {
      // Given up (Redis unreachable past the deadline): the lease brings it back, counted there.
      if ((await untilWritten('requeue', () => backend.requeue([task]), log, giveUp)) === undefined) return;
      counters.requeued += 1;
      observe(task, outcome, 'requeued');
      return;
    }
    const f = { reason: outcome.error.reason, error: outcome.error, retry: outcome.retry, retryAfterMs: outcome.retryAfterMs };
    const r = await untilWritten('fail', () => backend.fail(task, f), log, giveUp);
    if (r?.accepted) {
      counters.failed += 1;
      observe(task, outcome, r.state === 'scheduled' ? 'retried' : r.state);
      // A failure the handler reported is the handler's business (debug); one we observed is ours to say.
      const level = outcome.error.reason === 'error' ? 'debug' : 'warn';
      log[level]({ task: task.id, queue: task.queue, attempt: task.attempts, reason: outcome.error.reason, next: r.state, error: outcome.error.message.slice(0, 500) }, 'task attempt failed');
    } else if (r) observe(task, outcome, 'stale');
  };

  /** Requeues tasks leased to us that we will not run (handed over while stopping). */
  const giveBack = async (tasks: ClaimedTask[]): Promise<void> => {
    if (tasks.length === 0) return;
    if ((await untilWritten('requeue', () => backend.requeue(tasks), log, giveUp)) !== undefined) counters.requeued += tasks.length;
  };

  const idle = async (): Promise<void> => {
    const abort = new AbortController();
    wake = () => abort.abort();
    idling = true;
    try {
      await backend.waitForWork(queueNames, o.idleBlockMs, abort.signal);
    } catch (error) {
      log.warn({ error: (error as Error).message }, 'waiting for work failed (is Redis reachable?); retrying in 1 s');
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      idling = false;
      wake = undefined;
    }
  };

  const fetch = async (): Promise<void> => {
    while (!stopping) {
      if (!pool.accepting) {
        // Unhealthy (or still loading) handlers: take nothing; what was buffered goes back to the
        // queue. An unhealthy one-shot pool signals `capacity` when it accepts a probe task.
        for (const attempt of pool.takeQueued('the handler is unhealthy')) log.warn({ task: attempt.id }, 'requeueing: handler unhealthy');
        await new Promise<void>((resolve) => {
          const done = (): void => {
            pool.off('healthy', done);
            pool.off('capacity', done);
            resolve();
          };
          pool.once('healthy', done);
          pool.once('capacity', done);
          wake = done;
        });
        continue;
      }
      const room = target() - held.size;
      if (room <= 0) {
        await new Promise<void>((r) => (wake = r));
        continue;
      }
      // Still registered idle for the room there is (a task was handed over, the queue was
      // empty then): wait for the next hand-off instead of claiming from an empty queue.
      if (idleMs !== undefined && !unanswered && backend.idleSlots(queueNames[0]!) >= room) {
        if (rearmHold.due(held.size)) {
          const { done, release } = rearmHold.hold();
          wake = release;
          await done;
          if (wake === release) wake = undefined;
          continue;
        }
        await idle();
        continue;
      }
      // Every queue in the order asked for the room left and gave less: each claim drained its
      // queue (and did the peek waitForWork would do), so idle now instead of claiming again.
      let drained = true;
      try {
        // A claim whose answer was lost is asked again first, with the same requestId: Redis
        // then returns the tasks it leased to us instead of leasing more.
        const steps = unanswered ? [{ queue: unanswered.queue, count: room }] : claimSteps(o.queues, nextClaimOrder(), room, drawnShares);
        drawnShares.clear();
        let left = room;
        /** Queues that gave less than they were asked: drained, not asked again in this refill. */
        const dry = new Set<string>();
        for (const { queue, count } of steps) {
          if (dry.has(queue)) continue;
          const ask = Math.min(count, left);
          const requestId = unanswered?.requestId ?? newRequestId();
          unanswered = { queue, requestId };
          const claimed = await backend.claim(queue, { supervisorId: o.id, leaseMs: o.leaseMs, count: ask, requestId, idleMs });
          unanswered = undefined;
          // Once stopping, the pool is closed: they come back as not started and are requeued.
          for (const task of claimed) start(task);
          left -= claimed.length;
          if (claimed.length < ask) dry.add(queue);
          if (left <= 0) {
            drained = false;
            break;
          }
        }
      } catch (error) {
        if (!isDroverError(error, 'CONNECTION_ERROR')) unanswered = undefined; // refused, not lost
        log.warn({ error: (error as Error).message }, 'claim failed (is Redis reachable?); retrying in 1 s');
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      if (stopping) break;
      if (drained) await idle();
    }
  };

  return {
    id: o.id,
    start() {
      // Tasks handed over while idle; once stopping they go back to the queue unstarted.
      if (queueNames.length === 1 && backend.setInbox(o.id, queueNames[0]!, (task) => {
        if (stopping) return void giveBack([task]);
        rearmHold.handedOver();
        start(task);
      })) {
        idleMs = o.idleBlockMs + 2000;
      }
      heartbeat.start();
      recoverer.start();
      registration.start();
      void backend
        .onCancel(queueNames, (taskId) => {
          if (held.has(taskId)) pool.cancel(taskId, 'cancelled by a client');
        })
        .then((off) => (unsubscribe = off))
        .catch((error: unknown) => log.error({ error: (error as Error).message }, 'cannot subscribe to cancel requests'));
      pool.on('unhealthy', (error) => {
        log.error({ error: error.message }, 'handler unhealthy: not taking tasks');
        reportHealth();
      });
      pool.on('healthy', reportHealth);
      pool.on('starting', reportHealth);
      // A handler that declares concurrency N can take N tasks once ready (and --pipeline auto
      // writes more ahead once its tasks prove short): claim more now. Not while idling on an
      // empty queue: that would only end the wait (and leave the hand-off list) to find it empty.
      pool.on('capacity', () => {
        if (!idling) nudge();
      });
      fetchLoop = fetch();
      log.info({ queues: queueNames, leaseMs: o.leaseMs, prefetch: o.prefetch }, 'supervisor started');
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      stopDeadline = Date.now() + o.shutdownGraceMs + pool.options.killGraceMs + 5000;
      nudge();
      await fetchLoop;
      if (idleMs !== undefined) await giveBack(await backend.leaveIdle(o.id).catch(() => []));
      await pool.stop(o.shutdownGraceMs);
      while (attempts.size > 0) await Promise.all([...attempts.values()]);
      // The rest (background runs in flight, unsubscribing, unregistering) gets until the write
      // deadline, at least 1 s: a Redis that stays down must not hold the exit much longer.
      const restMs = Math.max(1000, stopDeadline - Date.now());
      await Promise.all([heartbeat.stop(restMs), recoverer.stop(restMs), registration.stop(restMs)]);
      await atMost(restMs, Promise.all([unsubscribe?.(), backend.unregisterSupervisor(o.id)]));
      log.info(counters, 'supervisor stopped');
    },
    stats: () => ({ id: o.id, ...counters, active: held.size }),
    onTaskEvent(event) {
      const task = running.get(event.taskId); // the claim whose attempt is in the pool now
      if (!task || lost.has(task)) return;
      // Chained per claim and awaited before its outcome is written: a script reload (NOSCRIPT,
      // then EVAL) must not let the completion overtake the progress it followed.
      const previous = eventWrites.get(task) ?? Promise.resolve();
      const write = previous
        .then(() => (event.type === 'progress' ? backend.progress(task, event.progress, event.message) : backend.partial(task, event.data)))
        .then(
          () => undefined,
          (error: unknown) => log.debug({ task: task.id, error: (error as Error).message }, 'task event not stored'),
        );
      eventWrites.set(task, write);
    },
  };
}

/** Waits for `work` (its failure ignored), at most `ms`. */
async function atMost(ms: number, work: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work.catch(() => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/**
 * The claim with the supervisor's timeout. Set on the claim itself: each claim is a fresh object
 * of this supervisor's, and nothing else reads its timeout. (A copy by property descriptors,
 * to keep the lazy payload getter, made a dictionary-mode object: ~15 µs more per task.)
 */
function withTimeout(task: ClaimedTask, timeoutMs: number): ClaimedTask {
  task.timeoutMs = timeoutMs;
  return task;
}
