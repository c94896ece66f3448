import type { Logger } from 'pino';
import { DroverError } from '../errors.js';
import { DEFAULT_MAX_LINE_BYTES } from '../protocol/messages.js';
import type { TaskEvent } from '../queue/task.js';
import type { ProcessMode } from './handler-process.js';
import type { HandlerCommand } from './spawn-handler.js';

/** Options of the process pool. Every source (batch, Redis) feeds the same pool. */
export interface PoolOptions {
  command: HandlerCommand;
  /** @defaultValue 'long' */
  mode?: ProcessMode;
  /** Long-lived: processes kept running. One-shot: processes running at once. @defaultValue 1 */
  concurrency?: number;
  /** Maximum bytes of one protocol line. @defaultValue 67108864 (64 MiB) */
  maxLineBytes?: number;
  /** Load phase limit in ms; 0 = none (model loads can take minutes, as in Cog). @defaultValue 0 */
  loadTimeoutMs?: number;
  /** Time a handler has to answer a cancel message before it is sent SIGTERM. @defaultValue 5000 */
  cancelGraceMs?: number;
  /** Time between SIGTERM and SIGKILL. @defaultValue 5000 */
  killGraceMs?: number;
  /**
   * Long-lived: tasks written ahead into each process's stdin beyond its declared concurrency,
   * so it never waits a round trip between tasks. They wait there (their timeout not running)
   * until the handler has a free slot. 0 = write a task only into a free slot (a written-ahead
   * task is run during a shutdown's drain instead of going back to the queue, and a handler that
   * starts every line it reads would run it at once). 'auto' = as many as fit in about 2 ms (1 to
   * 8) once the process's last 16 tasks each took under 2 ms, else none (write-ahead.ts).
   * @defaultValue 'auto'
   */
  pipeline?: number | 'auto';
  /** Recycle a process after this many tasks (written-ahead ones included); 0 = never. @defaultValue 0 */
  maxTasksPerProcess?: number;
  /** Recycle a process when it and its children use more resident memory; 0 = no limit. @defaultValue 0 */
  maxRssBytes?: number;
  /** First restart delay after a crash. @defaultValue 200 */
  restartDelayMs?: number;
  /** Restart delay cap. @defaultValue 30000 */
  maxRestartDelayMs?: number;
  /** Uptime after ready that resets the restart delay. @defaultValue 30000 */
  stableUptimeMs?: number;
  /** Consecutive failed starts (exit or load error before ready) that make the pool unhealthy. @defaultValue 3 */
  maxFailedStarts?: number;
  logger: Logger;
  onTaskEvent?: (event: TaskEvent) => void;
}

export type NormalizedPoolOptions = Required<Omit<PoolOptions, 'onTaskEvent'>> & Pick<PoolOptions, 'onTaskEvent'>;

export const DEFAULT_POOL_OPTIONS = {
  mode: 'long',
  concurrency: 1,
  maxLineBytes: DEFAULT_MAX_LINE_BYTES,
  loadTimeoutMs: 0,
  cancelGraceMs: 5000,
  killGraceMs: 5000,
  pipeline: 'auto',
  maxTasksPerProcess: 0,
  maxRssBytes: 0,
  restartDelayMs: 200,
  maxRestartDelayMs: 30_000,
  stableUptimeMs: 30_000,
  maxFailedStarts: 3,
} as const satisfies Partial<PoolOptions>;

function check(name: string, value: number, min: number): number {
  if (!Number.isFinite(value) || value < min || !Number.isInteger(value)) {
    throw new DroverError('INVALID_OPTION', `option ${name} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function normalizePoolOptions(options: PoolOptions): NormalizedPoolOptions {
  const o = { ...DEFAULT_POOL_OPTIONS, ...stripUndefined(options) };
  if (o.mode !== 'long' && o.mode !== 'oneshot') {
    throw new DroverError('INVALID_OPTION', `option mode must be "long" or "oneshot", got ${JSON.stringify(o.mode)}`);
  }
  if (!o.command.command) throw new DroverError('INVALID_OPTION', 'a handler command is required (after --)');
  check('concurrency', o.concurrency, 1);
  check('maxLineBytes', o.maxLineBytes, 1024);
  if (o.pipeline !== 'auto' && !(Number.isInteger(o.pipeline) && o.pipeline >= 0)) {
    throw new DroverError('INVALID_OPTION', `option pipeline must be an integer >= 0 or "auto", got ${JSON.stringify(o.pipeline)}`);
  }
  for (const name of ['loadTimeoutMs', 'cancelGraceMs', 'killGraceMs', 'maxTasksPerProcess', 'maxRssBytes', 'restartDelayMs', 'maxRestartDelayMs', 'stableUptimeMs'] as const) {
    check(name, o[name], 0);
  }
  check('maxFailedStarts', o.maxFailedStarts, 1);
  return o;
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
