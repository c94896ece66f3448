import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Client } from '../../../src/client/client.js';
import { PYTHON, fixture, until } from '../../helpers/handlers.js';
import { cleanupPrefix, connect, testPrefix } from '../../helpers/redis.js';
import { executions, startSupervisor, stopAllSupervisors, whenReady, whenStarted } from '../../helpers/supervisor.js';

const dir = mkdtempSync(join(tmpdir(), 'drover-run-'));
const redis = connect();
let prefix: string;
let client: Client;

beforeEach(() => {
  prefix = testPrefix('run');
  client = new Client({ redis: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', prefix });
});
afterEach(async () => {
  await stopAllSupervisors();
  await client.close();
  await cleanupPrefix(redis, prefix);
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await redis.quit();
});


describe('drover run', () => {
  it('two supervisors share one queue and run every task exactly once when nothing crashes', async () => {
    const record = join(dir, `share-${Date.now()}.log`);
    const handler = [PYTHON, fixture('record.py')];
    const a = startSupervisor(prefix, ['-q', 'work', '-c', '2'], handler, { RECORD_FILE: record, DELAY_MS: '20' });
    const b = startSupervisor(prefix, ['-q', 'work', '-c', '2'], handler, { RECORD_FILE: record, DELAY_MS: '20' });
    await Promise.all([whenReady(a), whenReady(b)]);
    const ids = (await client.enqueueMany('work', Array.from({ length: 60 }, (_, i) => ({ payload: { i } })))).map((r) => r.id);
    const results = await Promise.all(ids.map((id) => client.wait(id, { timeout: 20_000 })));
    expect(results.every((r) => r.state === 'completed')).toBe(true);
    const ran = executions(record);
    expect(ran.sort()).toEqual([...ids].sort()); // each id exactly once
    const pids = new Set(results.map((r) => (r.result as { pid: number }).pid));
    expect(pids.size).toBeGreaterThanOrEqual(3); // both supervisors' handlers took work
  });

  it('claims up to the concurrency a handler declares as soon as it is ready', async () => {
    // Tasks waiting before the handler is ready: claiming must use the concurrency the ready
    // line declares (4), not the one slot a loading process counts for.
    const ids = (await client.enqueueMany('fill', [1, 2, 3, 4].map((n) => ({ payload: { n } })))).map((r) => r.id);
    startSupervisor(prefix, ['-q', 'fill'], [PYTHON, fixture('inflight.py')], { CONCURRENCY: '4', DELAY_MS: '1500' });
    const infos = await Promise.all(ids.map((id) => client.wait(id, { timeout: 20_000 })));
    const open = infos.map((i) => (i.result as { open_at_arrival: number }).open_at_arrival);
    expect(Math.max(...open)).toBe(4);
  });

  it('an idle supervisor never misses a wakeup: 300 sequential round trips', async () => {
    // Each task is enqueued while the supervisor is between its last claim and its next block:
    // a lost wakeup leaves the task pending until the idle block times out (5 s).
    const sup = startSupervisor(prefix, ['-q', 'work', '-c', '2'], [PYTHON, fixture('echo.py')]);
    await whenReady(sup);
    for (let i = 0; i < 300; i += 1) {
      await expect(client.run('work', { i }, { timeout: 2500 })).resolves.toMatchObject({ echo: { i } });
    }
  }, 60_000);

  it('after kill -9 of a supervisor mid-task, the task completes on the other once its lease expires', async () => {
    const record = join(dir, `kill-${Date.now()}.log`);
    const handler = [PYTHON, fixture('record.py')];
    const flags = ['-q', 'work', '--lease', '1s', '--recover-interval', '200ms'];
    const victim = startSupervisor(prefix, flags, handler, { RECORD_FILE: record });
    await whenReady(victim);
    const { id } = await client.enqueue('work', { sleep_ms: 3000 });
    await whenStarted(record, { taskId: id });
    await victim.kill9();
    const survivor = startSupervisor(prefix, flags, handler, { RECORD_FILE: record });
    await whenReady(survivor);
    const info = await client.wait(id, { timeout: 20_000 });
    expect(info.state).toBe('completed');
    expect(info.attempts).toBe(2);
    expect(executions(record).filter((x) => x === id)).toHaveLength(2);
  });

  it('retries a task whose handler asks for it, and fails it permanently otherwise', async () => {
    const sup = startSupervisor(prefix, ['-q', 'work'], [PYTHON, fixture('flaky.py')]);
    await whenReady(sup);
    const ok = await client.enqueue('work', { succeed_on: 2 }, { maxRetries: 3, backoff: { type: 'fixed', baseMs: 50 } });
    const bad = await client.enqueue('work', { permanent: true }, { maxRetries: 3 });
    // A fractional retry_after_ms (the protocol allows any number >= 0) must not wedge the task.
    const fractional = await client.enqueue('work', { succeed_on: 1, retry_after_ms: 100.5 }, { maxRetries: 3 });
    expect(await client.wait(fractional.id, { timeout: 15_000 })).toMatchObject({ state: 'completed', attempts: 2 });
    const okInfo = await client.wait(ok.id, { timeout: 15_000 });
    expect(okInfo).toMatchObject({ state: 'completed', result: { attempt: 2 }, attempts: 3 });
    const badInfo = await client.wait(bad.id, { timeout: 15_000 });
    expect(badInfo).toMatchObject({ state: 'failed', attempts: 1, error: { message: 'bad input', type: 'ValueError', reason: 'error' } });
  });

  it('cancels an active task in its handler', async () => {
    const sup = startSupervisor(prefix, ['-q', 'work', '--cancel-grace', '200ms', '--kill-grace', '500ms'], [PYTHON, fixture('forever.py')]);
    await whenReady(sup);
    const { id } = await client.enqueue('work', {});
    await until(async () => (await client.get(id)).state === 'active', 10_000, 'the task to be active');
    await client.cancel(id);
    const info = await client.wait(id, { timeout: 10_000 });
    expect(info.state).toBe('cancelled');
    expect(info.error).toMatchObject({ reason: 'cancelled' });
  });

  it('times out a hung task with reason timeout and restarts the handler', async () => {
    const sup = startSupervisor(prefix, ['-q', 'work', '--cancel-grace', '100ms', '--kill-grace', '300ms'], [PYTHON, fixture('forever.py')]);
    await whenReady(sup);
    const { id } = await client.enqueue('work', {}, { timeoutMs: 300, maxRetries: 0 });
    const info = await client.wait(id, { timeout: 10_000 });
    expect(info).toMatchObject({ state: 'failed', error: { reason: 'timeout' } });
  });

  it('on SIGTERM finishes in-flight work, requeues buffered tasks, and leaves nothing active', async () => {
    const record = join(dir, `term-${Date.now()}.log`);
    const sup = startSupervisor(prefix, ['-q', 'work', '-c', '2', '--grace', '10s'], [PYTHON, fixture('record.py')], { RECORD_FILE: record, DELAY_MS: '800' });
    await whenReady(sup);
    const ids = (await client.enqueueMany('work', Array.from({ length: 6 }, (_, i) => ({ payload: { i } })))).map((r) => r.id);
    await whenStarted(record, { count: 2 });
    expect(await sup.stop()).toBe(0);
    const started = executions(record);
    const infos = await Promise.all(ids.map((id) => client.get(id)));
    expect(infos.filter((i) => i.state === 'active')).toHaveLength(0);
    for (const info of infos) {
      if (started.includes(info.id)) expect(info.state).toBe('completed');
      else expect(info).toMatchObject({ state: 'pending', attempts: 0 });
    }
    const stats = await client.stats('work');
    expect(stats.counts.active).toBe(0);
    expect(stats.counts.pending + stats.counts.completed).toBe(6);
  });

  it('serves several queues in the order given: the first queue drains first', async () => {
    const record = join(dir, `prio-${Date.now()}.log`);
    const low = (await client.enqueueMany('low', Array.from({ length: 4 }, (_, i) => ({ payload: { i } })))).map((r) => r.id);
    const high = (await client.enqueueMany('high', Array.from({ length: 4 }, (_, i) => ({ payload: { i } })))).map((r) => r.id);
    const sup = startSupervisor(prefix, ['-q', 'high', '-q', 'low', '--prefetch', '0'], [PYTHON, fixture('record.py')], { RECORD_FILE: record });
    await Promise.all([...low, ...high].map((id) => client.wait(id, { timeout: 15_000 })));
    expect(executions(record)).toEqual([...high, ...low]);
    expect(await sup.stop()).toBe(0);
  });

  it('weighted queues: each claim is one weighted draw, so a low-weight queue gets its share', async () => {
    const record = join(dir, `weight-${Date.now()}.log`);
    const n = 120;
    const heavy = (await client.enqueueMany('heavy', Array.from({ length: n }, (_, i) => ({ payload: { i } })))).map((r) => r.id);
    const light = new Set((await client.enqueueMany('light', Array.from({ length: n }, (_, i) => ({ payload: { i } })))).map((r) => r.id));
    const sup = startSupervisor(prefix, ['-q', 'heavy:3', '-q', 'light:1', '--prefetch', '0'], [PYTHON, fixture('record.py')], { RECORD_FILE: record });
    await Promise.all([...heavy, ...light].map((id) => client.wait(id, { timeout: 30_000 })));
    // While both queues have work, light should get about a quarter of the claims: ~30 of the
    // first 120 (sd ~4.7). Strict priority would give 0; drawing twice per claim, ~7.5.
    const lightEarly = executions(record).slice(0, n).filter((id) => light.has(id)).length;
    expect(lightEarly).toBeGreaterThanOrEqual(16);
    expect(lightEarly).toBeLessThanOrEqual(50);
    expect(await sup.stop()).toBe(0);
  });

  it('takes no task while its handler cannot load, and says so', async () => {
    const sup = startSupervisor(prefix, ['-q', 'work', '--max-failed-starts', '2'], [PYTHON, fixture('load-error.py')]);
    const { id } = await client.enqueue('work', {});
    await until(() => sup.log().includes('handler unhealthy'), 10_000, () => `the supervisor to say unhealthy:\n${sup.log()}`);
    expect(sup.log()).toContain('model file not found: /models/missing.pt');
    expect(await client.get(id)).toMatchObject({ state: 'pending', attempts: 0 });
    const backend = client.backend;
    await until(async () => (await backend.listSupervisors()).some((s) => s.health === 'unhealthy'), 3000, 'the registry to show the supervisor unhealthy');
    expect(await sup.stop()).toBe(0);
  });

  it('streams progress and partial output from the handler to the client', async () => {
    const sup = startSupervisor(prefix, ['-q', 'work'], [process.execPath, fixture('../node-sdk/ops.mjs')]);
    await whenReady(sup);
    const { id } = await client.enqueue('work', { op: 'stream' });
    const items: unknown[] = [];
    for await (const item of client.events(id)) items.push(item);
    expect(items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'progress', progress: 0.25, message: 'quarter' }),
        expect.objectContaining({ type: 'partial', data: { token: 'Hel' } }),
        expect.objectContaining({ type: 'partial', data: 'lo' }),
      ]),
    );
    const info = await client.get(id);
    expect(info).toMatchObject({ state: 'completed', result: 'done', progress: { progress: 1 }, partial: 'lo' });
  });
});
