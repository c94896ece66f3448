/**
 * Redis faults: a private redis-server (fsync-always AOF) on a spare port is killed mid-run and
 * started again. Nothing is lost and, with the gap shorter than the lease, nothing runs twice.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../helpers/handlers.js';
import { stopAllSupervisors, whenReady } from '../helpers/supervisor.js';
import { runsOf, startedIds, starts } from './helpers/fault-records.js';
import { startCrashableRedis, type CrashableRedis } from './helpers/fault-redis.js';
import { currentOutcomes, each, faultScenario, type FaultScenario } from './helpers/fault-scenario.js';

let scenario: FaultScenario | undefined;
let server: CrashableRedis | undefined;
afterEach(async () => {
  await stopAllSupervisors();
  await scenario?.close();
  await server?.close();
  scenario = undefined;
  server = undefined;
});

const batch = (n: number, tag: string) => Array.from({ length: n }, (_, i) => ({ payload: { tag, i, sleep_ms: 30 } }));

describe('Redis faults', () => {
  it('Redis killed (SIGKILL) and restarted mid-run: tasks from before, during and after the gap all complete exactly once; the supervisor keeps serving', async () => {
    server = await startCrashableRedis();
    const s = (scenario = faultScenario('redis-crash', server.url));
    const sup = s.supervise(['-q', 'work', '-c', '2', '--lease', '5s', '--recover-interval', '500ms']);
    await whenReady(sup);
    const before = (await s.client.enqueueMany('work', batch(40, 'before'))).map((r) => r.id);
    await until(() => starts(s.files.record) >= 6, 10_000, 'a few tasks to run');
    await server.down('SIGKILL'); // some tasks done, two running, one buffered per handler, the rest pending

    // While Redis is down an enqueue fails fast with a typed error; retried with its idempotency key after the restart, it is enqueued once.
    const refused = await s.client.enqueue('work', { tag: 'gap' }, { idempotencyKey: 'gap-1' }).then(
      () => 'enqueued',
      (e: { code?: string }) => e.code,
    );
    expect(refused).toBe('CONNECTION_ERROR');
    await new Promise((r) => setTimeout(r, 800));
    await server.up();
    const gap = await s.client.enqueue('work', { tag: 'gap' }, { idempotencyKey: 'gap-1' });
    expect(gap.created).toBe(true);
    const after = (await s.client.enqueueMany('work', batch(10, 'after'))).map((r) => r.id);

    const ids = [...before, gap.id, ...after];
    expect(await s.final(ids, 30_000)).toEqual(each(ids, { state: 'completed', attempts: 1 }));
    expect(runsOf(s.files.record, ids)).toEqual(each(ids, [1, 1]));
    const stats = await s.client.stats('work');
    expect(stats.counts).toMatchObject({ pending: 0, scheduled: 0, active: 0, completed: ids.length, failed: 0 });
    expect(stats.totals.staleReplies).toBe(0);
    // The crash really hit the supervisor mid-run (otherwise this test proves nothing).
    expect(sup.log()).toMatch(/Redis write failed|claim failed|background loop run failed|waiting for work failed/);
    expect(await sup.stop()).toBe(0);
    expect(s.leftovers()).toEqual([]);
  }, 60_000);

  it('SIGTERM while Redis is down: results and requeues are held until Redis is back, then written; exit 0', async () => {
    server = await startCrashableRedis();
    const s = (scenario = faultScenario('redis-term', server.url));
    const sup = s.supervise(['-q', 'work', '-c', '2', '--lease', '10s', '--grace', '5s']);
    await until(() => sup.log().split('"handler ready"').length - 1 === 2, 15_000, 'two ready handlers');
    const ids = (await s.client.enqueueMany('work', [0, 1, 2, 3].map((i) => ({ payload: { i, sleep_ms: 1000 } })))).map((r) => r.id);
    await until(() => starts(s.files.record) === 2, 10_000, 'two tasks to start');
    const running = startedIds(s.files.record);
    await server.down('SIGKILL');
    process.kill(sup.child.pid!, 'SIGTERM'); // not execa's kill(), which would SIGKILL it 5 s later
    await until(() => runsOf(s.files.record, running)[running[1]!]![1] === 1 && runsOf(s.files.record, running)[running[0]!]![1] === 1, 5000, 'the running tasks to finish during the outage');
    await new Promise((r) => setTimeout(r, 500));
    expect(sup.child.exitCode).toBe(null); // still holding the results
    await server.up();
    const exit = await Promise.race([sup.child, new Promise<undefined>((r) => setTimeout(() => r(undefined), 15_000))]);
    expect(exit?.exitCode).toBe(0);
    expect(sup.log()).toMatch(/Redis write failed; retrying/);

    const buffered = ids.filter((id) => !running.includes(id));
    expect(await currentOutcomes(s.client, ids)).toEqual({
      ...each(running, { state: 'completed', attempts: 1 }),
      ...each(buffered, { state: 'pending', attempts: 0 }),
    });
    expect(s.leftovers()).toEqual([]);
    const second = s.supervise(['-q', 'work', '-c', '2'], { SLEEP_CAP_MS: '0' });
    expect(await s.final(ids)).toEqual(each(ids, { state: 'completed', attempts: 1 }));
    expect(runsOf(s.files.record, ids)).toEqual(each(ids, [1, 1]));
    expect(await second.stop()).toBe(0);
    expect(s.leftovers()).toEqual([]);
  }, 60_000);

  it('SIGTERM while Redis stays down: the supervisor gives up its writes after grace + kill-grace + 5 s and exits; the leases bring every task back', async () => {
    server = await startCrashableRedis();
    const s = (scenario = faultScenario('redis-gone', server.url));
    const flags = ['-q', 'work', '-c', '2', '--lease', '2s', '--recover-interval', '200ms'];
    const sup = s.supervise([...flags, '--grace', '1s', '--kill-grace', '200ms']);
    await until(() => sup.log().split('"handler ready"').length - 1 === 2, 15_000, 'two ready handlers');
    const ids = (await s.client.enqueueMany('work', [0, 1, 2, 3].map((i) => ({ payload: { i, sleep_first_ms: 300 } })))).map((r) => r.id);
    await until(() => starts(s.files.record) === 2, 10_000, 'two tasks to start');
    const running = startedIds(s.files.record);
    await server.down('SIGKILL');
    const t0 = Date.now();
    process.kill(sup.child.pid!, 'SIGTERM');
    const exit = await Promise.race([sup.child, new Promise<undefined>((r) => setTimeout(() => r(undefined), 20_000))]);
    expect(exit?.exitCode).toBe(0);
    // The give-up deadline (grace + kill-grace + 5 s), then at most 1 s for the background loops'
    // Redis calls in flight, plus a margin for a loaded machine.
    expect(Date.now() - t0).toBeLessThan(1000 + 200 + 5000 + 1000 + 8000);
    expect(sup.log()).toContain('giving up a Redis write; the lease will expire and the task will run again');
    expect(runsOf(s.files.record, running)).toEqual(each(running, [1, 1])); // they did finish, unrecorded
    expect(s.leftovers()).toEqual([]);

    await server.up();
    const rescuer = s.supervise(flags);
    const buffered = ids.filter((id) => !running.includes(id));
    expect(await s.final(ids)).toEqual(each(ids, { state: 'completed', attempts: 2 }));
    expect(runsOf(s.files.record, ids)).toEqual({ ...each(running, [2, 2]), ...each(buffered, [1, 1]) });
    expect((await s.client.stats('work')).failuresByReason.lease_lost).toBe(4);
    expect(await rescuer.stop()).toBe(0);
    expect(s.leftovers()).toEqual([]);
  }, 60_000);
});
