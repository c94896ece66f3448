import { describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { PYTHON, fixture, pyHandler } from '../../helpers/handlers.js';
import { attempt, startPool } from './pool-helpers.js';
import { MAX_WRITE_AHEAD } from '../../../src/process/write-ahead.js';

const openAtArrival = (o: { ok: boolean; result?: unknown }): number => (o.ok ? (o.result as { open_at_arrival: number }).open_at_arrival : -1);

describe('pipelining (tasks written ahead into a long-lived handler)', () => {
  it('pipeline 1 writes one task ahead: a handler that declares nothing has 2 open at arrival', async () => {
    const { pool } = startPool({ command: pyHandler('inflight.py', { DELAY_MS: '150' }), pipeline: 1 });
    await pool.whenReady();
    expect(pool.capacity).toBe(2);
    const outcomes = await Promise.all(Array.from({ length: 6 }, (_, i) => pool.run(attempt(i))));
    const seen = outcomes.map(openAtArrival);
    // The first two are written at once; later ones follow each reply.
    expect(seen.slice(0, 2)).toEqual([1, 2]);
    expect(seen.every((s) => s >= 1 && s <= 2)).toBe(true);
  });

  it('adds the pipelined tasks to a declared concurrency, in capacity too', async () => {
    const { pool } = startPool({ command: pyHandler('inflight.py', { CONCURRENCY: '3', DELAY_MS: '300' }), pipeline: 1 });
    await pool.whenReady();
    expect(pool.capacity).toBe(4);
    const seen = (await Promise.all(Array.from({ length: 6 }, (_, i) => pool.run(attempt(i))))).map(openAtArrival);
    expect(seen.slice(0, 4)).toEqual([1, 2, 3, 4]);
    expect(Math.max(...seen)).toBe(4);
  });

  it('pipeline 0 restores one task per declared slot', async () => {
    const { pool } = startPool({ command: pyHandler('inflight.py', { DELAY_MS: '50' }), pipeline: 0 });
    await pool.whenReady();
    expect(pool.capacity).toBe(1);
    const seen = (await Promise.all(Array.from({ length: 4 }, (_, i) => pool.run(attempt(i))))).map(openAtArrival);
    expect(seen).toEqual([1, 1, 1, 1]);
  });

  it("'auto' (the default) writes tasks ahead after 16 short tasks in a row, and none from the first long one", async () => {
    const { pool } = startPool({ command: pyHandler('inflight.py', { DELAY_MS: '0' }) });
    await pool.whenReady();
    let capacityEvents = 0;
    pool.on('capacity', () => (capacityEvents += 1));
    expect(pool.capacity).toBe(1);
    // One at a time until it turns on: at the 16th short task in a row (later when a busy
    // machine makes one of them take over 1 ms, which starts the count again).
    let short = 0;
    while (pool.capacity === 1 && short < 500) {
      expect(openAtArrival(await pool.run(attempt(short)))).toBe(1);
      short += 1;
    }
    expect(short).toBeGreaterThanOrEqual(16);
    expect(pool.capacity).toBeGreaterThan(1); // 1 + the depth, sized from these tasks' durations
    expect(pool.capacity).toBeLessThanOrEqual(1 + MAX_WRITE_AHEAD);
    expect(capacityEvents).toBe(1);
    // Now the task after a long one is written ahead behind it...
    const [long, behind] = await Promise.all([pool.run(attempt({ delay_ms: 300 })), pool.run(attempt(17))]);
    expect([openAtArrival(long), openAtArrival(behind)]).toEqual([1, 2]);
    // ...and the long one turned it off: the next pair goes one at a time.
    expect(pool.capacity).toBe(1);
    expect(capacityEvents).toBe(2);
    const pair = await Promise.all([pool.run(attempt({ delay_ms: 100 })), pool.run(attempt(19))]);
    expect(pair.map(openAtArrival)).toEqual([1, 1]);
  });

  it("'auto' writes nothing ahead into a handler that declared a concurrency above 1 (a batching one would start partial batches)", async () => {
    const { pool } = startPool({ command: pyHandler('inflight.py', { CONCURRENCY: '2', DELAY_MS: '0' }) });
    await pool.whenReady();
    let capacityEvents = 0;
    pool.on('capacity', () => (capacityEvents += 1));
    const seen: number[] = [];
    // 160 short tasks, two at a time: ten times the streak after which a concurrency-1 handler gets some.
    for (let i = 0; i < 80; i += 1) seen.push(...(await Promise.all([pool.run(attempt(2 * i)), pool.run(attempt(2 * i + 1))])).map(openAtArrival));
    expect(seen.every((s) => s >= 1 && s <= 2)).toBe(true);
    expect(pool.capacity).toBe(2);
    expect(capacityEvents).toBe(0);
  });

  it("starts a written-ahead task's timeout only when the handler has a slot for it", async () => {
    // Each task takes 700 ms and may take 1200: counted from the write, the second and third
    // would time out (1400 ms after they were written).
    const { pool } = startPool({ command: pyHandler('echo.py', { DELAY_MS: '700' }), pipeline: 1 });
    await pool.whenReady();
    const outcomes = await Promise.all([0, 1, 2].map((i) => pool.run(attempt(i, { timeoutMs: 1200 }))));
    expect(outcomes.map((o) => o.ok)).toEqual([true, true, true]);
    for (const o of outcomes) expect(o.durationMs).toBeLessThan(1200);
  });

  it('gives deadline_ms from the write time, never later than the real timeout', async () => {
    const { pool } = startPool({ command: pyHandler('eager-reader.py', { DELAY_MS: '500' }), pipeline: 1 });
    await pool.whenReady();
    const outcomes = await Promise.all([0, 1].map((i) => pool.run(attempt(i, { timeoutMs: 60_000 }))));
    const deadlines = outcomes.map((o) => (o.ok ? (o.result as { deadline_ms: number }).deadline_ms : 0));
    // Both written in the same tick: the second's deadline does not include its 500 ms wait.
    expect(deadlines[0]).toBeGreaterThan(0);
    expect(deadlines[1]! - deadlines[0]!).toBeLessThan(500);
  });

  it('a cancel of a waiting task does not start its grace before the task starts', async () => {
    // echo.py ignores cancel lines: were the 150 ms grace counted from the cancel, the process
    // would be killed while it runs the first task.
    const { pool } = startPool({ command: pyHandler('echo.py', { DELAY_MS: '800' }), cancelGraceMs: 150, pipeline: 1 });
    await pool.whenReady();
    const first = attempt('first');
    const second = attempt('second');
    const running = pool.run(first);
    const waiting = pool.run(second);
    expect(pool.cancel(second.id)).toBe(true);
    expect(await waiting).toMatchObject({ ok: false, error: { reason: 'cancelled' }, durationMs: 0 });
    expect(await running).toMatchObject({ ok: true, result: { echo: 'first' } });
  });

  it('runs a waiting task on the restarted process when its process crashes, counting no attempt', async () => {
    const { pool } = startPool({ command: pyHandler('crash.py'), pipeline: 1, restartDelayMs: 50 });
    await pool.whenReady();
    const crashing = pool.run(attempt({ crash: 3 }));
    const waiting = pool.run(attempt({ after: true }));
    expect(await crashing).toMatchObject({ ok: false, retry: true, error: { reason: 'handler_crash' } });
    const outcome = await waiting;
    expect(outcome).toMatchObject({ ok: true, result: { pid: expect.any(Number) } });
    expect(outcome.ok && outcome).not.toHaveProperty('notStarted');
    expect(pool.stats().restarts).toBe(1);
  });

  it('charges the crash to a task whose process died twice while it waited', async () => {
    // eager-reader.py reads every line at once and exits on reading {"exit_on_read"}: the third
    // task kills the process while it waits, twice; the second time it counts as a crash.
    const { pool } = startPool({ command: pyHandler('eager-reader.py', { DELAY_MS: '1000' }), pipeline: 2, restartDelayMs: 50 });
    await pool.whenReady();
    const outcomes = await Promise.all([{}, {}, { exit_on_read: 4 }].map((p) => pool.run(attempt(p))));
    for (const o of outcomes) expect(o).toMatchObject({ ok: false, retry: true, error: { reason: 'handler_crash' } });
    expect(outcomes.some((o) => !o.ok && o.notStarted)).toBe(false);
    expect(pool.stats().restarts).toBe(2);
  });

  it('counts written-ahead tasks toward --max-tasks-per-process and still runs them before EOF', async () => {
    const { pool } = startPool({ command: pyHandler('echo.py', { DELAY_MS: '100' }), maxTasksPerProcess: 2, pipeline: 1 });
    await pool.whenReady();
    const outcomes = await Promise.all(Array.from({ length: 6 }, (_, i) => pool.run(attempt(i))));
    expect(outcomes.every((o) => o.ok)).toBe(true);
    const pids = outcomes.map((o) => (o.ok ? (o.result as { pid: number }).pid : 0));
    // Two tasks per process, in order: 3 processes.
    expect(new Set(pids).size).toBe(3);
    expect(pids[0]).toBe(pids[1]);
    expect(pids[2]).toBe(pids[3]);
  });

  it('does not pipeline in one-shot mode', async () => {
    const { pool } = startPool({ command: pyHandler('echo.py'), mode: 'oneshot', concurrency: 2, pipeline: 3 });
    expect(pool.capacity).toBe(2);
    const outcomes = await Promise.all([0, 1, 2].map((i) => pool.run(attempt(i))));
    expect(outcomes.every((o) => o.ok)).toBe(true);
  });

  it('takes --pipeline from the command line (drover batch); the default, auto, writes nothing ahead of 100 ms tasks', async () => {
    const input = Array.from({ length: 4 }, (_, i) => JSON.stringify({ i })).join('\n');
    const seenWith = async (flags: string[]): Promise<number[]> => {
      const run = await runCli(['batch', '--keep-order', ...flags, '--', PYTHON, fixture('inflight.py')], { input, env: { DELAY_MS: '100' } });
      expect(run.exitCode).toBe(0);
      return run.lines.map((l) => (l.result as { open_at_arrival: number }).open_at_arrival);
    };
    expect(await seenWith([])).toEqual([1, 1, 1, 1]); // auto: these tasks are not short
    expect(await seenWith(['--pipeline', 'auto'])).toEqual([1, 1, 1, 1]);
    expect((await seenWith(['--pipeline', '1']))[1]).toBe(2);
    const bad = await runCli(['batch', '--pipeline', 'fast', '--', PYTHON, fixture('inflight.py')], { input });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('expected a whole number or "auto", got "fast"');
  });
});
