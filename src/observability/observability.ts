import type { SupervisorObserver } from '../supervisor/supervisor-observer.js';
import { checkLiveness, checkReadiness, type HealthCheck } from './health.js';
import { startHttpServer, type HttpReply, type HttpServer } from './http-server.js';
import { createMetrics } from './metrics.js';
import type { ObservedService } from './observed-service.js';
import { normalizeObservabilityOptions, type ObservabilityOptions } from './observability-options.js';
import { createQueueDepthReader } from './queue-depth.js';

export interface Observability {
  /** The observer to pass to one service's supervisor (undefined when disabled). Names are unique. */
  observerFor(service: string, queues: readonly string[]): SupervisorObserver | undefined;
  /**
   * Starts the HTTP server (`/metrics`, `/healthz`, `/readyz`) for these services, each observed
   * with `observerFor(name)` first; a no-op without a port. Start it before the pools, so that
   * `/readyz` answers 503 while handlers load.
   */
  start(services: readonly ObservedService[]): Promise<void>;
  /** Stops the server; call once the supervisors stopped. */
  close(): Promise<void>;
  /** Where the server listens, once started. */
  readonly url: string | undefined;
}

const healthReply = (check: HealthCheck): HttpReply => ({
  statusCode: check.statusCode,
  contentType: 'application/json; charset=utf-8',
  body: `${JSON.stringify(check.body)}\n`,
});

/**
 * Metrics and health for `drover run`: one HTTP server for every service of the process.
 * Without a port nothing is created and every method is a no-op.
 */
export function createObservability(options: ObservabilityOptions): Observability {
  const o = normalizeObservabilityOptions(options);
  if (o.port === undefined) return { observerFor: () => undefined, start: async () => undefined, close: async () => undefined, url: undefined };
  const port = o.port;
  const log = o.logger.child({ component: 'observability' });
  const queueDepth = createQueueDepthReader({
    source: o.backend,
    queues: () => metrics.services.flatMap((s) => s.queues), // called at scrape time only
    maxAgeMs: o.queueStatsMaxAgeMs,
    timeoutMs: o.queueStatsTimeoutMs,
    logger: log,
  });
  const metrics = createMetrics({ queueDepth });
  const { registry, services } = metrics;
  let server: HttpServer | undefined;

  return {
    observerFor: (service, queues) => metrics.addService(service, queues),
    async start(watched) {
      metrics.watch(watched);
      server = await startHttpServer(o.host, port, {
        '/metrics': async () => ({ statusCode: 200, contentType: registry.contentType, body: await registry.metrics() }),
        '/healthz': () => healthReply(checkLiveness(services)),
        '/readyz': () => healthReply(checkReadiness(services)),
      });
      log.info({ url: server.url, endpoints: ['/metrics', '/healthz', '/readyz'] }, 'metrics server listening');
    },
    async close() {
      await server?.close();
      server = undefined;
    },
    get url() {
      return server?.url;
    },
  };
}
