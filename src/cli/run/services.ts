/** One service per handler: a Pool of its processes and the Supervisor feeding it, on a shared Redis session. */
import type { Logger } from 'pino';
import type { ServicePlan } from '../../config/merge.js';
import { Pool } from '../../process/pool.js';
import type { RedisBackend } from '../../queue/redis/backend.js';
import { createSupervisor, type Supervisor } from '../../supervisor/supervisor.js';
import type { SupervisorObserver } from '../../supervisor/supervisor-observer.js';

export interface RunService {
  /** The handler's name in the config (`default` for a command given after --). */
  name: string;
  /** Names of the queues it serves. */
  queues: string[];
  pool: Pool;
  supervisor: Supervisor;
}

/**
 * Builds (does not start) the pool and supervisor of one handler. Option errors (a value out of
 * range) throw here, before anything runs. `logger` is the process logger; with several
 * handlers pass `tagLogs` so each line names its handler.
 */
export function createService(plan: ServicePlan, backend: RedisBackend, logger: Logger, tagLogs: boolean, observer?: SupervisorObserver): RunService {
  const log = tagLogs ? logger.child({ handler: plan.name }) : logger;
  const o = plan.options;
  const pool = new Pool({
    command: plan.command,
    mode: o.mode,
    concurrency: o.concurrency,
    pipeline: o.pipeline,
    loadTimeoutMs: o.loadTimeout,
    maxTasksPerProcess: o.maxTasksPerProcess,
    maxRssBytes: o.maxRss,
    maxLineBytes: o.maxLineBytes,
    cancelGraceMs: o.cancelGrace,
    killGraceMs: o.killGrace,
    maxFailedStarts: o.maxFailedStarts,
    logger: log,
    onTaskEvent: (event) => supervisor.onTaskEvent(event),
  });
  const supervisor = createSupervisor({
    backend,
    pool,
    queues: plan.queues,
    logger: log,
    leaseMs: o.lease,
    prefetch: o.prefetch,
    shutdownGraceMs: o.grace,
    recoverIntervalMs: o.recoverInterval,
    taskTimeoutMs: o.timeout,
    observer,
  });
  return { name: plan.name, queues: plan.queues.map((q) => q.name), pool, supervisor };
}
