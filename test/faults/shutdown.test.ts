/**
 * SIGTERM to a supervisor under load: it stops claiming, hands buffered tasks back, lets
 * in-flight ones finish within --grace or kills and requeues them (attempt not counted), and
 * exits. A second supervisor then drains the queue: every task completes, none runs twice
 * except those it had to kill.
 */
import { describe, expect, it } from 'vitest';
import { until } from '../helpers/handlers.js';
import type { RunningSupervisor } from '../helpers/supervisor.js';
import { runsOf, startedIds, starts } from './helpers/fault-records.js';
import { currentOutcomes, each, expectFinishedBy, readyCount, scenarioPerTest, type FaultScenario } from './helpers/fault-scenario.js';

const open = scenarioPerTest();

/** SIGTERM, then the exit code and how long the exit took. */
async function sigterm(sup: RunningSupervisor): Promise<{ code: number | undefined; ms: number }> {
  const t0 = Date.now();
  const code = await sup.stop();
  return { code, ms: Date.now() - t0 };
}

/**
 * A second supervisor finishes the tasks a SIGTERM left pending: the interrupted ones (`running`)
 * ran a second time, the buffered ones once. Interrupted attempts count nothing (retry_count
 * stays 0), so the rescuer caps the sleeps.
 */
async function drainInterrupted(s: FaultScenario, ids: string[], running: string[]): Promise<void> {
  const buffered = ids.filter((id) => !running.includes(id));
  const runs = { ...each(running, [2, 1]), ...each(buffered, [1, 1]) };
  await expectFinishedBy(s, ['-q', 'work', '-c', '2'], ids, { env: { SLEEP_CAP_MS: '0' }, runs });
}

describe('SIGTERM under load', () => {
  it('in-flight tasks finish within --grace, buffered ones go back uncounted, nothing is left active; a second supervisor drains the rest', async () => {
    const s = open('term-finish');
    const sup = s.supervise(['-q', 'work', '-c', '2', '--grace', '5s']);
    await until(() => readyCount(sup) === 2, 15_000, 'two ready handlers');
    const ids = (await s.client.enqueueMany('work', Array.from({ length: 24 }, (_, i) => ({ payload: { i, sleep_ms: 150 } })))).map((r) => r.id);
    await until(() => starts(s.files.record) >= 5, 10_000, 'a few tasks to run');
    const { code, ms } = await sigterm(sup);
    expect(code).toBe(0);
    expect(ms).toBeLessThan(5000 + 2000); // --grace plus a margin

    const stopped = await currentOutcomes(s.client, ids);
    const runs = runsOf(s.files.record, ids);
    for (const id of ids) {
      // Every task is either done once or untouched: never active, never charged an attempt it did not finish.
      if (runs[id]![0] > 0) expect([stopped[id], runs[id]]).toEqual([{ state: 'completed', attempts: 1 }, [1, 1]]);
      else expect(stopped[id]).toEqual({ state: 'pending', attempts: 0 });
    }
    const finished = ids.filter((id) => stopped[id]!.state === 'completed').length;
    expect(finished).toBeGreaterThanOrEqual(3);
    expect(finished).toBeLessThan(24); // the signal really came mid-run
    expect(s.leftovers()).toEqual([]);

    await expectFinishedBy(s, ['-q', 'work', '-c', '2'], ids);
  });

  it('in-flight tasks longer than --grace (in a handler that ignores SIGTERM) are SIGKILLed and requeued uncounted; exit within grace + kill-grace', async () => {
    const s = open('term-kill');
    const sup = s.supervise(['-q', 'work', '-c', '2', '--grace', '1s', '--kill-grace', '500ms'], { IGNORE_SIGTERM: '1' });
    await until(() => readyCount(sup) === 2, 15_000, 'two ready handlers');
    const ids = (await s.client.enqueueMany('work', [0, 1, 2, 3].map((i) => ({ payload: { i, sleep_first_ms: 30_000 } })))).map((r) => r.id);
    await until(() => starts(s.files.record) === 2, 10_000, 'two tasks to start');
    const running = startedIds(s.files.record);
    const { code, ms } = await sigterm(sup);
    expect(code).toBe(0);
    expect(ms).toBeLessThan(1000 + 500 + 3000); // --grace, --kill-grace, a margin
    expect(sup.log()).toContain('did not exit after SIGTERM');
    expect(await currentOutcomes(s.client, ids)).toEqual(each(ids, { state: 'pending', attempts: 0 }));
    expect(s.leftovers()).toEqual([]);

    await drainInterrupted(s, ids, running);
  });

  it('a second SIGTERM cuts the grace short: handlers are stopped at once, their tasks requeued uncounted', async () => {
    const s = open('term-twice');
    const sup = s.supervise(['-q', 'work', '-c', '2', '--grace', '60s', '--kill-grace', '500ms']);
    await until(() => readyCount(sup) === 2, 15_000, 'two ready handlers');
    const ids = (await s.client.enqueueMany('work', [0, 1, 2, 3].map((i) => ({ payload: { i, sleep_first_ms: 60_000 } })))).map((r) => r.id);
    await until(() => starts(s.files.record) === 2, 10_000, 'two tasks to start');
    const running = startedIds(s.files.record);
    // process.kill, not execa's kill(): that one would SIGKILL the supervisor 5 s later by itself.
    const t0 = Date.now();
    process.kill(sup.child.pid!, 'SIGTERM');
    await until(() => sup.log().includes('SIGTERM: stopping'), 5000, 'the first SIGTERM to be seen');
    await until(async () => Object.values(await currentOutcomes(s.client, ids)).filter((o) => o.state === 'pending').length === 2, 5000, 'the buffered tasks to go back');
    process.kill(sup.child.pid!, 'SIGTERM');
    const exit = await Promise.race([sup.child, new Promise<undefined>((r) => setTimeout(() => r(undefined), 15_000))]);
    expect(exit?.exitCode).toBe(0); // within 15 s: far less than the 60 s grace
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(sup.log()).toContain('SIGTERM again: killing handlers now');
    expect(await currentOutcomes(s.client, ids)).toEqual(each(ids, { state: 'pending', attempts: 0 }));
    expect(s.leftovers()).toEqual([]);

    await drainInterrupted(s, ids, running);
  });
});
