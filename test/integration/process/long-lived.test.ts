import { describe, expect, it, vi } from 'vitest';
import { pyHandler } from '../../helpers/handlers.js';
import { attempt, startPool } from './pool-helpers.js';

describe('long-lived pool', () => {
  it('waits for the ready line, then serves many tasks from the same processes', async () => {
    const { pool } = startPool({ command: pyHandler('echo.py'), concurrency: 2 });
    await pool.whenReady();
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => pool.run(attempt({ i }))));
    expect(outcomes.every((o) => o.ok)).toBe(true);
    const pids = new Set(outcomes.map((o) => (o.ok ? (o.result as { pid: number }).pid : 0)));
    expect(pids.size).toBeLessThanOrEqual(2);
    expect(outcomes.map((o) => (o.ok ? (o.result as { echo: { i: number } }).echo.i : -1))).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('sends the runqy context fields with each task', async () => {
    const { pool } = startPool({ command: pyHandler('echo.py') });
    const outcome = await pool.run(attempt({ a: 1 }, { retryCount: 2, maxRetry: 5 }));
    expect(outcome).toMatchObject({ ok: true, result: { echo: { a: 1 }, retry_count: 2, max_retry: 5 } });
  });

  it('never sends a second task before the first is answered when the handler declares no concurrency', async () => {
    const { pool } = startPool({ command: pyHandler('inflight.py', { DELAY_MS: '50' }), pipeline: 0 });
    const outcomes = await Promise.all(Array.from({ length: 6 }, (_, i) => pool.run(attempt(i))));
    expect(outcomes.map((o) => (o.ok ? (o.result as { open_at_arrival: number }).open_at_arrival : -1))).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('keeps up to N tasks in flight when the ready line declares concurrency N', async () => {
    const { pool } = startPool({ command: pyHandler('inflight.py', { CONCURRENCY: '3', DELAY_MS: '300' }), pipeline: 0 });
    await pool.whenReady();
    expect(pool.capacity).toBe(3);
    const outcomes = await Promise.all(Array.from({ length: 6 }, (_, i) => pool.run(attempt(i))));
    const seen = outcomes.map((o) => (o.ok ? (o.result as { open_at_arrival: number }).open_at_arrival : -1));
    expect(Math.max(...seen)).toBe(3);
    expect(seen.every((s) => s >= 1 && s <= 3)).toBe(true);
  });

  it('logs stray stdout, invalid JSON and replies for unknown tasks without breaking the task', async () => {
    const { pool, records } = startPool({ command: pyHandler('noisy.py') });
    const outcome = await pool.run(attempt({}));
    expect(outcome).toMatchObject({ ok: true, result: { ok: true } });
    const stats = pool.stats();
    expect(stats.strayLines).toBe(4); // pre-ready print, "working on it", broken JSON, {"hello"}
    expect(stats.unknownReplies).toBe(1);
    expect(records.some((r) => r.stdout === 'working on it')).toBe(true);
  });

  it('captures handler stderr line by line, tagged with the process and the task', async () => {
    const { pool, records } = startPool({ command: pyHandler('crash.py') });
    const a = attempt({ crash: 3 });
    await pool.run(a);
    const line = records.find((r) => r.stderr === 'about to crash');
    expect(line).toMatchObject({ task: a.id, proc: expect.stringMatching(/^p\d+$/) });
    expect(typeof line?.handlerPid).toBe('number');
  });

  it('stops gracefully: in-flight work finishes, then the processes exit', async () => {
    const { pool } = startPool({ command: pyHandler('echo.py', { DELAY_MS: '400' }), concurrency: 2, pipeline: 0 });
    await pool.whenReady();
    // whenReady is the first ready process: on a busy machine the second came after stop(), and
    // its task was handed back unstarted. Both run a task here.
    await vi.waitFor(() => expect(pool.stats().ready).toBe(2), { timeout: 15_000 });
    const running = [pool.run(attempt(1)), pool.run(attempt(2))];
    await new Promise((r) => setTimeout(r, 100));
    const queuedLater = pool.run(attempt(3));
    await pool.stop(5000);
    const outcomes = await Promise.all(running);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(await queuedLater).toMatchObject({ ok: false, notStarted: true });
    expect(pool.stats().processes).toBe(0);
  });
});
