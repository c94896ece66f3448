import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { DroverError } from '../errors.js';
import type { SupervisorObserver } from '../supervisor/supervisor-observer.js';
import { VERSION } from '../version.js';
import type { ObservedService } from './observed-service.js';
import { registerPoolMetrics } from './pool-metrics.js';
import { QUEUE_DEPTH_STATES, type QueueDepthReader } from './queue-depth.js';
import { createTaskMetrics } from './task-metrics.js';

export interface MetricsOptions {
  /** Queue depth read at scrape time; omit for no `drover_queue_*` metrics. */
  queueDepth?: QueueDepthReader;
  /** prom-client's Node process metrics (`process_*`, `nodejs_*`). @defaultValue true */
  defaultMetrics?: boolean;
}

export interface DroverMetrics {
  /** A private registry (never prom-client's global one): `registry.metrics()` is the scrape. */
  readonly registry: Registry;
  /** The services whose pools are read at scrape time (and by the health checks). */
  readonly services: readonly ObservedService[];
  /** Adds a service by name; pass the observer to its supervisor. */
  addService(service: string, queues: readonly string[]): SupervisorObserver;
  /** Reads these services' pools at scrape time (each added with addService first). */
  watch(services: readonly ObservedService[]): void;
}

/**
 * Every drover metric, for any number of services in one process (label `service`). The
 * catalogue with types and labels is docs/observability.md.
 */
export function createMetrics(options: MetricsOptions = {}): DroverMetrics {
  const registry = new Registry();
  const services: ObservedService[] = [];
  const names = new Set<string>();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  new Gauge({ name: 'drover_info', help: 'Always 1; the drover version as a label', labelNames: ['version'] as const, registers: [registry] }).set({ version: VERSION }, 1);
  const tasks = createTaskMetrics(registry);
  registerPoolMetrics(registry, () => services);
  const depth = options.queueDepth;
  if (depth) {
    new Gauge({
      name: 'drover_queue_tasks',
      help: 'Tasks in each served queue by state (pending, scheduled, active, dead), read from Redis at scrape time; the same for every supervisor of a queue',
      labelNames: ['queue', 'state'] as const,
      registers: [registry],
      async collect() {
        const snapshot = await depth.read();
        this.reset();
        for (const [queue, counts] of snapshot.depth) for (const state of QUEUE_DEPTH_STATES) this.set({ queue, state }, counts[state]);
      },
    });
    new Gauge({
      name: 'drover_queue_stats_up',
      help: '1 when this scrape read queue depth from Redis, 0 when Redis did not answer in time',
      registers: [registry],
      async collect() {
        this.set((await depth.read()).up ? 1 : 0);
      },
    });
  }
  return {
    registry,
    services,
    addService(service, queues) {
      if (names.has(service)) throw new DroverError('INVALID_OPTION', `two services are named "${service}": metrics need unique names`);
      names.add(service);
      return tasks.observerFor(service, queues);
    },
    watch(watched) {
      services.push(...watched);
    },
  };
}
