/**
 * A handler that crashes at load every time: the supervisor restarts it with growing backoff,
 * reports itself unhealthy (logs, `drover stats`), and claims nothing, so no task burns its
 * retries on a handler that never started.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { until } from '../helpers/handlers.js';
import { stopAllSupervisors } from '../helpers/supervisor.js';
import { handlerStarts, runsOf } from './helpers/fault-records.js';
import { currentOutcomes, each, faultScenario, type FaultScenario } from './helpers/fault-scenario.js';

let scenario: FaultScenario | undefined;
afterEach(async () => {
  await stopAllSupervisors();
  await scenario?.close();
  scenario = undefined;
});

/** The pool's default first restart delay (src/process/pool-options.ts), doubled after each failed start. */
const FIRST_RESTART_DELAY_MS = 200;

describe('a crash-looping handler', () => {
  it('is restarted with growing backoff, reported unhealthy, and tasks stay pending with no attempt counted', async () => {
    const s = (scenario = faultScenario('crash-loop'));
    const ids = (await s.client.enqueueMany('work', [0, 1, 2].map((i) => ({ payload: { i }, options: { maxRetries: 0 } })))).map((r) => r.id);
    const sup = s.supervise(['-q', 'work', '--max-failed-starts', '2'], { CRASH_AT_LOAD: 'always' });
    await until(() => handlerStarts(s.files.starts).length >= 5, 20_000, () => `five starts:\n${sup.log().slice(-2000)}`);

    // Start-to-start gaps: each at least its restart delay (200, 400, 800, 1600 ms), so growing.
    const at = handlerStarts(s.files.starts).map((p) => p.at);
    const gaps = at.slice(1, 5).map((t, i) => t - at[i]!);
    gaps.forEach((gap, i) => expect(gap).toBeGreaterThanOrEqual(FIRST_RESTART_DELAY_MS * 2 ** i - 20));
    expect(gaps[3]!).toBeGreaterThan(gaps[0]!);

    expect(sup.log()).toContain('handler unhealthy: not taking tasks');
    expect(sup.log()).toContain('CUDA error: no kernel image is available');
    const stats = await runCli(['stats', '--json', '--redis', s.redisUrl, '--prefix', s.prefix, 'work']);
    expect(stats.exitCode).toBe(0);
    const doc = JSON.parse(stats.stdout) as { supervisors: { health?: string }[] };
    expect(doc.supervisors.map((x) => x.health)).toEqual(['unhealthy']);
    // Not burned: with maxRetries 0 a single counted attempt would have failed them for good.
    expect(await currentOutcomes(s.client, ids)).toEqual(each(ids, { state: 'pending', attempts: 0 }));
    const queue = await s.client.stats('work');
    expect(Object.values(queue.failuresByReason).reduce((a, b) => a + b, 0)).toBe(0);
    expect(runsOf(s.files.record, ids)).toEqual(each(ids, [0, 0]));
    expect(await sup.stop()).toBe(0);
    expect(s.leftovers()).toEqual([]);

    // Once the handler is fixed, every task runs exactly once.
    const fixed = s.supervise(['-q', 'work']);
    expect(await s.final(ids)).toEqual(each(ids, { state: 'completed', attempts: 1 }));
    expect(runsOf(s.files.record, ids)).toEqual(each(ids, [1, 1]));
    expect(await fixed.stop()).toBe(0);
    expect(s.leftovers()).toEqual([]);
  });

  it('one-shot mode: load error lines count as failed starts, so only --max-failed-starts attempts are charged in all', async () => {
    // One-shot has no separate start: each failed start is one task's attempt (reason load_failed).
    const s = (scenario = faultScenario('crash-loop-oneshot'));
    const later = { maxRetries: 3, backoff: { type: 'fixed' as const, baseMs: 60_000 } };
    const ids = (await s.client.enqueueMany('work', [0, 1, 2, 3].map((i) => ({ payload: { i }, options: later })))).map((r) => r.id);
    const sup = s.supervise(['-q', 'work', '--mode', 'oneshot', '--max-failed-starts', '2'], { LOAD_ERROR_TIMES: '1000' });
    await until(() => sup.log().includes('handler unhealthy: not taking tasks'), 15_000, () => `unhealthy:\n${sup.log().slice(-2000)}`);
    await until(async () => Object.values(await currentOutcomes(s.client, ids)).every((o) => o.state !== 'active'), 5000, 'buffered tasks to go back');
    const outcomes = await currentOutcomes(s.client, ids);
    const charged = ids.filter((id) => outcomes[id]!.attempts > 0);
    expect(charged).toHaveLength(2);
    expect(outcomes).toEqual({
      ...each(ids, { state: 'pending', attempts: 0 }),
      ...each(charged, { state: 'scheduled', attempts: 1, reason: 'load_failed' }),
    });
    expect((await s.client.get(charged[0]!)).error?.message).toBe('model file not found (fault suite)');
    expect(handlerStarts(s.files.starts)).toHaveLength(2);
    expect(await sup.stop()).toBe(0);
    expect(s.leftovers()).toEqual([]);
  });

  it('one-shot mode: an unhealthy pool probes with one task after a backoff, and serves again once the handler loads', async () => {
    // The handler fails its first 2 starts (--max-failed-starts 2: unhealthy), then works, as
    // after a fixed deploy. A one-shot pool has no process to restart: the probe brings it back.
    const s = (scenario = faultScenario('recover-oneshot'));
    const later = { maxRetries: 3, backoff: { type: 'fixed' as const, baseMs: 500 } };
    const ids = (await s.client.enqueueMany('work', [0, 1, 2, 3].map((i) => ({ payload: { i }, options: later })))).map((r) => r.id);
    const sup = s.supervise(['-q', 'work', '--mode', 'oneshot', '--prefetch', '0', '--max-failed-starts', '2'], { LOAD_ERROR_TIMES: '2' });
    await until(() => sup.log().includes('handler unhealthy: not taking tasks'), 15_000, () => `unhealthy:\n${sup.log().slice(-2000)}`);
    const outcomes = Object.values(await s.final(ids, 30_000));
    expect(outcomes.every((o) => o.state === 'completed')).toBe(true);
    // Only the two failed starts were charged; the probe and everything after it ran once.
    expect(outcomes.reduce((sum, o) => sum + o.attempts, 0)).toBe(ids.length + 2);
    expect(await sup.stop()).toBe(0);
    expect(s.leftovers()).toEqual([]);
  }, 60_000);
});
