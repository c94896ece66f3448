import { describe, expect, it } from 'vitest';
import { fixture, pyHandler } from '../../helpers/handlers.js';
import { attempt, startPool } from './pool-helpers.js';

describe('one-shot mode', () => {
  it('runs each task in its own process; a ready line is optional', async () => {
    const shell = { command: '/bin/sh', args: [fixture('oneshot.sh')] };
    const { pool } = startPool({ command: shell, mode: 'oneshot', concurrency: 3 });
    const outcomes = await Promise.all(Array.from({ length: 6 }, (_, i) => pool.run(attempt(i))));
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(new Set(outcomes.map((o) => (o.ok ? (o.result as { pid: number }).pid : 0))).size).toBe(6);
  });

  it('accepts a plain runqy long-lived handler (ready line, then reply) in one-shot mode', async () => {
    const { pool } = startPool({ command: pyHandler('echo.py'), mode: 'oneshot', concurrency: 2 });
    const outcomes = await Promise.all([pool.run(attempt('a')), pool.run(attempt('b'))]);
    expect(outcomes.map((o) => o.ok && (o.result as { echo: string }).echo)).toEqual(['a', 'b']);
  });

  it('starts the next process when the previous one exits after replying', async () => {
    // Replies at once, then lingers 200 ms before exiting: the slot frees only at exit.
    const lingering = { command: '/bin/sh', args: ['-c', `${JSON.stringify(fixture('oneshot.sh'))}; sleep 0.2`] };
    const { pool } = startPool({ command: lingering, mode: 'oneshot', concurrency: 1 });
    const outcomes = await Promise.all([1, 2, 3].map((i) => pool.run(attempt(i))));
    expect(outcomes.every((o) => o.ok)).toBe(true);
  });

  it('fails the task when the process exits without replying', async () => {
    const { pool } = startPool({ command: { command: '/bin/sh', args: ['-c', 'read line; exit 0'] }, mode: 'oneshot' });
    const outcome = await pool.run(attempt({}));
    expect(outcome).toMatchObject({ ok: false, error: { reason: 'handler_crash' } });
    if (!outcome.ok) expect(outcome.error.message).toContain('exited with code 0 without replying');
  });

  it('reports a load error line as the task failure, verbatim', async () => {
    const { pool } = startPool({ command: pyHandler('load-error.py'), mode: 'oneshot', maxFailedStarts: 5 });
    const outcome = await pool.run(attempt({}));
    expect(outcome).toMatchObject({ ok: false, error: { reason: 'load_failed', message: 'model file not found: /models/missing.pt' } });
  });

  it('kills a one-shot process that exceeds its timeout', async () => {
    const { pool } = startPool({ command: pyHandler('forever.py'), mode: 'oneshot', killGraceMs: 200 });
    const outcome = await pool.run(attempt({}, { timeoutMs: 150 }));
    expect(outcome).toMatchObject({ ok: false, error: { reason: 'timeout' } });
    const start = Date.now();
    while (pool.stats().processes > 0 && Date.now() - start < 3000) await new Promise((r) => setTimeout(r, 20));
    expect(pool.stats().processes).toBe(0);
  });
});
