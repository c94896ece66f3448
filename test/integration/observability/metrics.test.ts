import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../../../src/version.js';
import { PYTHON, fixture, until } from '../../helpers/handlers.js';
import { startSupervisor, whenReady, whenStarted } from '../../helpers/supervisor.js';
import { type Sample, find, scrape, startObserved, valueOf, observedSuite } from './observed-run.js';

const suite = observedSuite('metrics');

const work = { service: 'default', queue: 'work' };

/** Scrapes until `check` holds (queue depth is cached for up to 1 s), returning that scrape. */
async function scrapeUntil(url: string, check: (s: Sample[]) => boolean, what: string): Promise<Sample[]> {
  let last: Sample[] = [];
  await until(async () => check((last = await scrape(url))), 10_000, () => `${what}; last scrape:\n${last.filter((s) => s.name.startsWith('drover_')).map((s) => `${s.name}${JSON.stringify(s.labels)} ${s.value}`).join('\n')}`, 100);
  return last;
}

describe('drover run --metrics-port', () => {
  it('counts completed, retried and dead tasks, with duration histograms and queue depth', async () => {
    const { sup, url } = await startObserved(suite.prefix, ['-q', 'work', '-c', '2'], [PYTHON, fixture('flaky.py')]);
    await whenReady(sup);
    const ids = [
      ...(await suite.client.enqueueMany('work', [0, 1, 2].map((i) => ({ payload: { succeed_on: 0, i } })))).map((r) => r.id),
      (await suite.client.enqueue('work', { succeed_on: 1 }, { maxRetries: 3, backoff: { type: 'fixed', baseMs: 50 } })).id,
      (await suite.client.enqueue('work', { permanent: true }, { maxRetries: 3 })).id,
    ];
    await suite.client.enqueue('work', { succeed_on: 0 }, { delayMs: 600_000 }); // stays scheduled
    const infos = await Promise.all(ids.map((id) => suite.client.wait(id, { timeout: 15_000 })));
    expect(infos.map((i) => i.state)).toEqual(['completed', 'completed', 'completed', 'completed', 'failed']);

    // The suite.client may hear of the last outcome a moment before the supervisor counts it; and one
    // process may have served every task while the second was still loading (a loaded machine).
    const settled = (x: Sample[]): boolean =>
      valueOf(x, 'drover_handler_processes', { service: 'default', state: 'ready' }) === 2 &&
      valueOf(x, 'drover_tasks_total', { ...work, result: 'completed' }) === 4 &&
      valueOf(x, 'drover_tasks_total', { ...work, result: 'failed' }) === 1 &&
      valueOf(x, 'drover_queue_tasks', { queue: 'work', state: 'dead' }) === 1;
    const s = await scrapeUntil(url, settled, 'the dead task to be counted and to show in queue depth');
    expect(valueOf(s, 'drover_tasks_total', { ...work, result: 'completed' })).toBe(4);
    expect(valueOf(s, 'drover_tasks_total', { ...work, result: 'retried' })).toBe(1);
    expect(valueOf(s, 'drover_tasks_total', { ...work, result: 'failed' })).toBe(1);
    expect(valueOf(s, 'drover_tasks_total', { ...work, result: 'requeued' })).toBe(0);
    expect(valueOf(s, 'drover_task_failures_total', { ...work, reason: 'error' })).toBe(2);
    expect(valueOf(s, 'drover_task_failures_total', { ...work, reason: 'handler_crash' })).toBe(0);

    // One histogram series per outcome; cumulative buckets ending at +Inf = count.
    expect(valueOf(s, 'drover_task_duration_seconds_count', { ...work, outcome: 'completed' })).toBe(4);
    expect(valueOf(s, 'drover_task_duration_seconds_count', { ...work, outcome: 'retried' })).toBe(1);
    expect(valueOf(s, 'drover_task_duration_seconds_count', { ...work, outcome: 'failed' })).toBe(1);
    const buckets = find(s, 'drover_task_duration_seconds_bucket', { ...work, outcome: 'completed' });
    expect(buckets.map((b) => b.labels.le)).toEqual(['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '30', '60', '120', '300', '600', '1800', '+Inf']);
    expect(buckets.at(-1)!.value).toBe(4);
    for (let i = 1; i < buckets.length; i += 1) expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
    expect(valueOf(s, 'drover_task_duration_seconds_sum', { ...work, outcome: 'completed' })).toBeGreaterThan(0);

    expect(valueOf(s, 'drover_queue_tasks', { queue: 'work', state: 'scheduled' })).toBe(1);
    expect(valueOf(s, 'drover_queue_tasks', { queue: 'work', state: 'pending' })).toBe(0);
    expect(valueOf(s, 'drover_queue_tasks', { queue: 'work', state: 'active' })).toBe(0);
    expect(valueOf(s, 'drover_queue_stats_up')).toBe(1);
    expect(valueOf(s, 'drover_handler_processes', { service: 'default', state: 'ready' })).toBe(2);
    expect(valueOf(s, 'drover_handler_processes', { service: 'default', state: 'busy' })).toBe(0);
    expect(valueOf(s, 'drover_pool_health', { service: 'default', health: 'healthy' })).toBe(1);
    expect(valueOf(s, 'drover_leases_lost_total', work)).toBe(0);
    expect(valueOf(s, 'drover_stale_replies_total', work)).toBe(0);
    expect(find(s, 'drover_info')).toEqual([{ name: 'drover_info', labels: { version: VERSION }, value: 1 }]);
    expect(valueOf(s, 'process_cpu_user_seconds_total')).toBeGreaterThan(0); // prom-client default metrics
  });

  it('shows a busy process, a running task and an active task while a task runs', async () => {
    const record = join(suite.dir, `busy-${Date.now()}.log`);
    const { sup, url } = await startObserved(suite.prefix, ['-q', 'work', '-c', '2'], [PYTHON, fixture('record.py')], { RECORD_FILE: record });
    await whenReady(sup);
    const { id } = await suite.client.enqueue('work', { sleep_ms: 4000 });
    await whenStarted(record, { taskId: id });
    // The second process may still be loading when the task starts on the first: wait for both.
    const running = (x: Sample[]): boolean =>
      valueOf(x, 'drover_queue_tasks', { queue: 'work', state: 'active' }) === 1 &&
      valueOf(x, 'drover_handler_processes', { service: 'default', state: 'starting' }) === 0;
    const s = await scrapeUntil(url, running, 'the running task to show as active, and both processes started');
    expect(valueOf(s, 'drover_handler_processes', { service: 'default', state: 'busy' })).toBe(1);
    expect(valueOf(s, 'drover_handler_processes', { service: 'default', state: 'ready' })).toBe(1);
    expect(valueOf(s, 'drover_pool_tasks', { service: 'default', state: 'running' })).toBe(1);
    expect(valueOf(s, 'drover_tasks_total', { ...work, result: 'completed' })).toBe(0);
    await suite.client.wait(id, { timeout: 15_000 });
    const after = await scrapeUntil(url, (x) => valueOf(x, 'drover_tasks_total', { ...work, result: 'completed' }) === 1, 'the task to be counted');
    expect(valueOf(after, 'drover_handler_processes', { service: 'default', state: 'busy' })).toBe(0);
  });

  it('counts the tasks its recovery sweep takes back from a supervisor killed mid-task', async () => {
    const record = join(suite.dir, `recover-${Date.now()}.log`);
    const flags = ['-q', 'work', '--lease', '1s', '--recover-interval', '200ms'];
    const victim = startSupervisor(suite.prefix, flags, [PYTHON, fixture('record.py')], { RECORD_FILE: record });
    await whenReady(victim);
    const { id } = await suite.client.enqueue('work', { sleep_ms: 3000 });
    await whenStarted(record, { taskId: id });
    await victim.kill9();
    const { url } = await startObserved(suite.prefix, flags, [PYTHON, fixture('record.py')], { RECORD_FILE: record });
    expect(await suite.client.wait(id, { timeout: 20_000 })).toMatchObject({ state: 'completed', attempts: 2 });
    const s = await scrapeUntil(url, (x) => valueOf(x, 'drover_tasks_total', { ...work, result: 'completed' }) === 1, 'the recovered task to be counted');
    expect(valueOf(s, 'drover_lease_recoveries_total', { service: 'default', result: 'requeued' })).toBe(1);
    expect(valueOf(s, 'drover_lease_recoveries_total', { service: 'default', result: 'failed' })).toBe(0);
    expect(valueOf(s, 'drover_leases_lost_total', work)).toBe(0);
  });

  it('counts a handler crash as a failure with reason handler_crash and a restart', async () => {
    const { sup, url } = await startObserved(suite.prefix, ['-q', 'work'], [PYTHON, fixture('crash.py')]);
    await whenReady(sup);
    const { id } = await suite.client.enqueue('work', { crash: 3 }, { maxRetries: 0 });
    expect(await suite.client.wait(id, { timeout: 15_000 })).toMatchObject({ state: 'failed', error: { reason: 'handler_crash' } });
    const recovered = (x: Sample[]): boolean =>
      valueOf(x, 'drover_handler_processes', { service: 'default', state: 'ready' }) === 1 && valueOf(x, 'drover_tasks_total', { ...work, result: 'failed' }) === 1;
    const s = await scrapeUntil(url, recovered, 'the failure to be counted and the handler to be ready again');
    expect(valueOf(s, 'drover_handler_restarts_total', { service: 'default' })).toBe(1);
    expect(valueOf(s, 'drover_tasks_total', { ...work, result: 'failed' })).toBe(1);
    expect(valueOf(s, 'drover_task_failures_total', { ...work, reason: 'handler_crash' })).toBe(1);
    expect(valueOf(s, 'drover_task_duration_seconds_count', { ...work, outcome: 'failed' })).toBe(1);
    // A counter mirrored from the pool does not grow by being scraped again.
    expect(valueOf(await scrape(url), 'drover_handler_restarts_total', { service: 'default' })).toBe(1);
  });
});
