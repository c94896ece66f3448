import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { DroverError } from '../errors.js';
import type { Pool } from '../process/pool.js';
import type { RedisBackend } from '../queue/redis/backend.js';
import type { QueueSpec } from './queue-selector.js';
import type { SupervisorObserver } from './supervisor-observer.js';

export interface SupervisorOptions {
  backend: RedisBackend;
  pool: Pool;
  queues: QueueSpec[];
  logger: Logger;
  /** Unique id of this supervisor. @defaultValue `${hostname}:${pid}:${random}` */
  id?: string;
  /** Lease length; renewed every `leaseMs / 3` while a task runs. @defaultValue 30000 */
  leaseMs?: number;
  /** How often to look for expired leases (one supervisor per interval does the sweep). @defaultValue 5000 */
  recoverIntervalMs?: number;
  /** Claimed tasks buffered per handler slot, so the next one starts the instant a slot frees. @defaultValue 1 */
  prefetch?: number;
  /** On stop: time for in-flight tasks to finish before they are requeued. @defaultValue 30000 */
  shutdownGraceMs?: number;
  /** Longest single block on Redis while idle. @defaultValue 5000 */
  idleBlockMs?: number;
  /** Per-attempt timeout for tasks enqueued without their own; 0 = none. @defaultValue 0 */
  taskTimeoutMs?: number;
  /** Hooks for metrics (attempt outcomes, recoveries). @defaultValue none */
  observer?: SupervisorObserver;
}

export type NormalizedSupervisorOptions = Required<Omit<SupervisorOptions, 'observer'>> & Pick<SupervisorOptions, 'observer'>;

export const DEFAULT_SUPERVISOR_OPTIONS = {
  leaseMs: 30_000,
  recoverIntervalMs: 5000,
  prefetch: 1,
  shutdownGraceMs: 30_000,
  idleBlockMs: 5000,
  taskTimeoutMs: 0,
} as const;

export function normalizeSupervisorOptions(options: SupervisorOptions): NormalizedSupervisorOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as SupervisorOptions;
  const o = { ...DEFAULT_SUPERVISOR_OPTIONS, id: `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`, ...defined };
  if (o.queues.length === 0) throw new DroverError('INVALID_OPTION', 'at least one --queue is required');
  for (const key of ['leaseMs', 'recoverIntervalMs', 'idleBlockMs'] as const) {
    if (!Number.isInteger(o[key]) || o[key] < 100) throw new DroverError('INVALID_OPTION', `option ${key} must be an integer >= 100, got ${JSON.stringify(o[key])}`);
  }
  for (const key of ['prefetch', 'shutdownGraceMs', 'taskTimeoutMs'] as const) {
    if (!Number.isInteger(o[key]) || o[key] < 0) throw new DroverError('INVALID_OPTION', `option ${key} must be an integer >= 0, got ${JSON.stringify(o[key])}`);
  }
  return o;
}
