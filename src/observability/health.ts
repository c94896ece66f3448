import type { PoolHealth, ProcessStateCounts } from '../process/pool.js';
import type { ObservedService } from './observed-service.js';

export interface ServiceHealth {
  service: string;
  queues: string[];
  health: PoolHealth;
  processes: ProcessStateCounts;
  /** Consecutive failed starts (reset when a process becomes ready). */
  failedStarts: number;
  /** The last load failure, verbatim from the handler, while not healthy. */
  lastLoadError?: string;
}

export interface HealthReport {
  status: 'ok' | 'unhealthy' | 'ready' | 'not_ready';
  /** Why the check failed, naming each service at fault. */
  reason?: string;
  services: ServiceHealth[];
}

export interface HealthCheck {
  statusCode: 200 | 503;
  body: HealthReport;
}

function describe(service: ObservedService): ServiceHealth {
  const health = service.pool.health;
  const out: ServiceHealth = {
    service: service.name,
    queues: [...service.queues],
    health,
    processes: service.pool.processStates(),
    failedStarts: service.pool.stats().failedStarts,
  };
  const error = service.pool.lastLoadError;
  // Only while the failed starts are current: an old load error says nothing about a later crash.
  if (error && health !== 'healthy' && out.failedStarts > 0) out.lastLoadError = error.message;
  return out;
}

/**
 * Liveness (`/healthz`): the event loop answers, and no service is unhealthy (its handler failed
 * `--max-failed-starts` starts in a row and it takes no tasks). A long load is not a failure.
 */
export function checkLiveness(services: readonly ObservedService[]): HealthCheck {
  const all = services.map(describe);
  const bad = all.filter((s) => s.health === 'unhealthy');
  if (bad.length === 0) return { statusCode: 200, body: { status: 'ok', services: all } };
  const reason = bad.map((s) => `service "${s.service}" is unhealthy after ${s.failedStarts} failed starts in a row: ${s.lastLoadError ?? 'no load error reported'}`).join('; ');
  return { statusCode: 503, body: { status: 'unhealthy', reason, services: all } };
}

/** Readiness (`/readyz`): every service has a ready handler (one-shot services are ready once started). */
export function checkReadiness(services: readonly ObservedService[]): HealthCheck {
  const all = services.map(describe);
  if (all.length === 0) return { statusCode: 503, body: { status: 'not_ready', reason: 'no service is running yet', services: all } };
  const waiting = all.filter((s) => s.health !== 'healthy');
  if (waiting.length === 0) return { statusCode: 200, body: { status: 'ready', services: all } };
  const reason = waiting.map((s) => `service "${s.service}" has no ready handler (${s.health})`).join('; ');
  return { statusCode: 503, body: { status: 'not_ready', reason, services: all } };
}
