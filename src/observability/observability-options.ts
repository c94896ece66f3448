import type { Logger } from 'pino';
import { DroverError } from '../errors.js';
import type { QueueStatsSource } from './queue-depth.js';

export interface ObservabilityOptions {
  /**
   * Port of the HTTP server for `/metrics`, `/healthz` and `/readyz`; 0 picks a free port (logged).
   * @defaultValue undefined: no server, no metrics (nothing is collected)
   */
  port?: number;
  /**
   * Address the server binds to. All interfaces by default, so that Prometheus on another host
   * and Kubernetes probes (sent to the pod IP, not to localhost) reach it.
   * @defaultValue '0.0.0.0'
   */
  host?: string;
  /** Where queue depth is read at scrape time (the Redis backend). */
  backend: QueueStatsSource;
  logger: Logger;
  /** Queue depth is read from Redis at most this often; scrapes in between reuse the last read. @defaultValue 1000 */
  queueStatsMaxAgeMs?: number;
  /** A queue-depth read slower than this is given up for that scrape (`drover_queue_stats_up` 0). @defaultValue 2000 */
  queueStatsTimeoutMs?: number;
}

export type NormalizedObservabilityOptions = Required<Omit<ObservabilityOptions, 'port'>> & { port: number | undefined };

export const DEFAULT_OBSERVABILITY_OPTIONS = {
  host: '0.0.0.0',
  queueStatsMaxAgeMs: 1000,
  queueStatsTimeoutMs: 2000,
} as const;

export function normalizeObservabilityOptions(options: ObservabilityOptions): NormalizedObservabilityOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as ObservabilityOptions;
  const o = { ...DEFAULT_OBSERVABILITY_OPTIONS, port: undefined, ...defined };
  const bad = (name: string, want: string, value: unknown): DroverError =>
    new DroverError('INVALID_OPTION', `option ${name} must be ${want}, got ${JSON.stringify(value)}`);
  if (o.port !== undefined && (!Number.isInteger(o.port) || o.port < 0 || o.port > 65_535)) throw bad('port', 'an integer from 0 to 65535', o.port);
  if (typeof o.host !== 'string' || o.host === '') throw bad('host', 'a non-empty host name or address', o.host);
  if (!Number.isInteger(o.queueStatsMaxAgeMs) || o.queueStatsMaxAgeMs < 0) throw bad('queueStatsMaxAgeMs', 'an integer >= 0', o.queueStatsMaxAgeMs);
  if (!Number.isInteger(o.queueStatsTimeoutMs) || o.queueStatsTimeoutMs < 1) throw bad('queueStatsTimeoutMs', 'an integer >= 1', o.queueStatsTimeoutMs);
  return o;
}
