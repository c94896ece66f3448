import { Counter, Gauge, type Registry } from 'prom-client';
import { PROCESS_STATES, type PoolHealth } from '../process/pool.js';
import type { ObservedService } from './observed-service.js';

const POOL_HEALTHS: readonly PoolHealth[] = ['starting', 'healthy', 'unhealthy', 'stopped'];

/** A counter whose value lives elsewhere (a pool's own running total): the scrape adds what is new. */
function mirroredCounter(counter: Counter<'service'>): (service: string, total: number) => void {
  const seen = new Map<string, number>();
  return (service, total) => {
    counter.inc({ service }, Math.max(0, total - (seen.get(service) ?? 0)));
    seen.set(service, Math.max(total, seen.get(service) ?? 0));
  };
}

/** Gauges and counters read from each service's pool at scrape time (no work between scrapes). */
export function registerPoolMetrics(registry: Registry, services: () => readonly ObservedService[]): void {
  const registers = [registry];
  new Gauge({
    name: 'drover_handler_processes',
    help: 'Handler processes by state: starting, ready (idle), busy, recycling, crashed (waiting to restart)',
    labelNames: ['service', 'state'] as const,
    registers,
    collect() {
      this.reset();
      for (const s of services()) {
        const counts = s.pool.processStates();
        for (const state of PROCESS_STATES) this.set({ service: s.name, state }, counts[state]);
      }
    },
  });
  new Gauge({
    name: 'drover_pool_health',
    help: 'The pool\'s health: 1 for the current one of starting, healthy, unhealthy, stopped',
    labelNames: ['service', 'health'] as const,
    registers,
    collect() {
      this.reset();
      for (const s of services()) for (const health of POOL_HEALTHS) this.set({ service: s.name, health }, s.pool.health === health ? 1 : 0);
    },
  });
  new Gauge({
    name: 'drover_handler_failed_starts',
    help: 'Consecutive failed handler starts (the pool turns unhealthy at --max-failed-starts)',
    labelNames: ['service'] as const,
    registers,
    collect() {
      this.reset();
      for (const s of services()) this.set({ service: s.name }, s.pool.stats().failedStarts);
    },
  });
  new Gauge({
    name: 'drover_pool_tasks',
    help: 'Attempts in the pool: running in a handler, or queued for a free handler slot',
    labelNames: ['service', 'state'] as const,
    registers,
    collect() {
      this.reset();
      for (const s of services()) {
        const stats = s.pool.stats();
        this.set({ service: s.name, state: 'running' }, stats.running);
        this.set({ service: s.name, state: 'queued' }, stats.queued);
      }
    },
  });
  const restarts: Counter<'service'> = new Counter({
    name: 'drover_handler_restarts_total',
    help: 'Long-lived handler processes restarted after they exited (crash, failed load, kill)',
    labelNames: ['service'] as const,
    registers,
    collect() {
      for (const s of services()) addRestarts(s.name, s.pool.stats().restarts);
    },
  });
  const addRestarts = mirroredCounter(restarts);
  const stray: Counter<'service'> = new Counter({
    name: 'drover_handler_stray_lines_total',
    help: 'Non-protocol lines handlers wrote on the protocol stream (logged, never fatal)',
    labelNames: ['service'] as const,
    registers,
    collect() {
      for (const s of services()) addStray(s.name, s.pool.stats().strayLines);
    },
  });
  const addStray = mirroredCounter(stray);
}
