import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PYTHON, fixture, until } from '../../helpers/handlers.js';
import { getJson, scrape, startObserved, valueOf, observedSuite } from './observed-run.js';

const suite = observedSuite('health');

interface ServiceBody {
  service: string;
  health: string;
  processes: Record<string, number>;
  failedStarts: number;
  lastLoadError?: string;
}
const servicesOf = (body: Record<string, unknown>): ServiceBody[] => body.services as ServiceBody[];

describe('/healthz and /readyz', () => {
  it('readyz is 503 while the handler loads and 200 once it is ready; healthz is 200 throughout', async () => {
    // The server listens before the pool starts, so the first probe always sees the load phase.
    const { url } = await startObserved(suite.prefix, ['-q', 'work'], [PYTHON, fixture('slow-load.py')], { LOAD_MS: '3000' });
    const before = await getJson(`${url}/readyz`);
    expect(before.status).toBe(503);
    expect(before.body).toMatchObject({ status: 'not_ready', reason: 'service "default" has no ready handler (starting)' });
    expect(servicesOf(before.body)[0]).toMatchObject({ service: 'default', health: 'starting' });
    expect((await getJson(`${url}/healthz`)).status).toBe(200);

    await until(async () => (await getJson(`${url}/readyz`)).status === 200, 15_000, 'readyz to turn 200');
    const ready = await getJson(`${url}/readyz`);
    expect(ready.body).toMatchObject({ status: 'ready' });
    expect(servicesOf(ready.body)[0]).toMatchObject({ health: 'healthy', processes: { starting: 0, ready: 1, busy: 0, recycling: 0, crashed: 0 }, failedStarts: 0 });
    const live = await getJson(`${url}/healthz`);
    expect(live).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('a handler that keeps failing to start turns healthz 503, naming the service and the load error', async () => {
    const { url } = await startObserved(suite.prefix, ['-q', 'work', '--max-failed-starts', '2'], [PYTHON, fixture('load-error.py')]);
    await until(async () => (await getJson(`${url}/healthz`)).status === 503, 15_000, 'healthz to turn 503');
    const live = await getJson(`${url}/healthz`);
    expect(live.body.status).toBe('unhealthy');
    expect(live.body.reason).toMatch(/^service "default" is unhealthy after \d+ failed starts in a row: .*model file not found: \/models\/missing\.pt/);
    expect(servicesOf(live.body)[0]).toMatchObject({ health: 'unhealthy', lastLoadError: expect.stringContaining('model file not found') });
    expect(servicesOf(live.body)[0]!.failedStarts).toBeGreaterThanOrEqual(2);
    const ready = await getJson(`${url}/readyz`);
    expect(ready).toMatchObject({ status: 503, body: { status: 'not_ready', reason: 'service "default" has no ready handler (unhealthy)' } });

    const s = await scrape(url);
    expect(valueOf(s, 'drover_pool_health', { service: 'default', health: 'unhealthy' })).toBe(1);
    expect(valueOf(s, 'drover_pool_health', { service: 'default', health: 'healthy' })).toBe(0);
    expect(valueOf(s, 'drover_handler_failed_starts', { service: 'default' })).toBeGreaterThanOrEqual(2);
    expect(valueOf(s, 'drover_handler_restarts_total', { service: 'default' })).toBeGreaterThanOrEqual(1);
    // A restart is counted when the process has exited: the second failed start turns the pool
    // unhealthy at once, and its process exits (and is counted) a moment later.
    await until(async () => (valueOf(await scrape(url), 'drover_handler_restarts_total', { service: 'default' }) ?? 0) >= 2, 15_000, 'the second restart to be counted');
  });

  it('with several handlers (a config file), readyz waits for every one of them and labels metrics by service', async () => {
    const config = join(suite.dir, `two-${Date.now()}.json`);
    writeFileSync(
      config,
      JSON.stringify({
        handlers: {
          fast: { command: [PYTHON, fixture('echo.py')], queues: ['thumbnails'], mode: 'oneshot', concurrency: 4 },
          slow: { command: [PYTHON, fixture('slow-load.py')], queues: ['inference'], env: { LOAD_MS: '3000' } },
        },
      }),
    );
    const { url } = await startObserved(suite.prefix, ['--config', config], []);
    const before = await getJson(`${url}/readyz`);
    expect(before).toMatchObject({ status: 503, body: { reason: 'service "slow" has no ready handler (starting)' } });
    expect(servicesOf(before.body).map((s) => [s.service, s.health])).toEqual([
      ['fast', 'healthy'],
      ['slow', 'starting'],
    ]);
    await until(async () => (await getJson(`${url}/readyz`)).status === 200, 15_000, 'readyz to turn 200');
    const s = await scrape(url);
    expect(valueOf(s, 'drover_handler_processes', { service: 'slow', state: 'ready' })).toBe(1);
    expect(valueOf(s, 'drover_tasks_total', { service: 'fast', queue: 'thumbnails', result: 'completed' })).toBe(0);
    expect(valueOf(s, 'drover_tasks_total', { service: 'slow', queue: 'inference', result: 'completed' })).toBe(0);
    expect(valueOf(s, 'drover_tasks_total', { service: 'slow', queue: 'thumbnails', result: 'completed' })).toBeUndefined();
    expect(valueOf(s, 'drover_queue_tasks', { queue: 'inference', state: 'pending' })).toBe(0);
    expect(valueOf(s, 'drover_queue_tasks', { queue: 'thumbnails', state: 'pending' })).toBe(0);
  });

  it('answers 404 for an unknown path and 405 for a POST', async () => {
    const { url } = await startObserved(suite.prefix, ['-q', 'work'], [PYTHON, fixture('echo.py')]);
    const missing = await getJson(`${url}/nope`);
    expect(missing).toMatchObject({ status: 404, body: { endpoints: ['/metrics', '/healthz', '/readyz'] } });
    const post = await fetch(`${url}/metrics`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    await post.arrayBuffer();
  });
});
