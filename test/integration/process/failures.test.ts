import { describe, expect, it } from 'vitest';
import { pyHandler } from '../../helpers/handlers.js';
import { isAlive } from '../../helpers/os.js';
import { attempt, startPool } from './pool-helpers.js';

describe('pool failure handling', () => {
  it('reports a load failure line verbatim and turns unhealthy after K failed starts', async () => {
    const { pool } = startPool({ command: pyHandler('load-error.py'), maxFailedStarts: 2, restartDelayMs: 10 });
    const error = await pool.whenReady().then(() => null, (e: unknown) => e);
    expect(error).toMatchObject({ code: 'UNHEALTHY', message: 'model file not found: /models/missing.pt' });
    expect(pool.health).toBe('unhealthy');
  });

  it('reports an exit before ready with the exit code and the last stderr lines', async () => {
    const { pool } = startPool({ command: pyHandler('exit-before-ready.py'), maxFailedStarts: 1 });
    const error = (await pool.whenReady().catch((e: unknown) => e)) as Error;
    expect(error.message).toContain('exited with code 2 before it became ready');
    expect(error.message).toContain("ImportError: No module named 'torch'");
  });

  it('reports a handler that cannot be started at all', async () => {
    const { pool } = startPool({ command: { command: '/nonexistent/handler', args: [] }, maxFailedStarts: 1 });
    const error = (await pool.whenReady().catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/before it became ready/);
    expect(error.message).toMatch(/nonexistent\/handler/);
  });

  it('kills a handler that does not become ready within the load timeout', async () => {
    const { pool } = startPool({ command: pyHandler('slow-load.py'), loadTimeoutMs: 300, maxFailedStarts: 1, killGraceMs: 500 });
    const started = Date.now();
    const error = (await pool.whenReady().catch((e: unknown) => e)) as Error;
    expect(error.message).toContain('did not become ready within 300 ms');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('fails the task of a process that crashes mid-task, then restarts the process', async () => {
    const { pool } = startPool({ command: pyHandler('crash.py'), restartDelayMs: 10 });
    const before = await pool.run(attempt({}));
    const transitions: string[] = [];
    pool.on('starting', () => transitions.push('starting'));
    pool.on('healthy', () => transitions.push('healthy'));
    const crashed = await pool.run(attempt({ crash: 7 }));
    expect(crashed).toMatchObject({ ok: false, retry: true, error: { reason: 'handler_crash' } });
    if (!crashed.ok) {
      expect(crashed.error.message).toContain('exited with code 7');
      expect(crashed.error.message).toContain('about to crash');
    }
    const after = await pool.run(attempt({}));
    expect(after.ok && before.ok && (after.result as { pid: number }).pid !== (before.result as { pid: number }).pid).toBe(true);
    expect(pool.stats().restarts).toBe(1);
    expect(transitions).toEqual(['starting', 'healthy']); // nothing was ready while it restarted
  });

  it('a crash is reported at once even when a child of the handler holds its pipes, and the child is killed', async () => {
    const { pool, records } = startPool({ command: pyHandler('crash-with-child.py'), restartDelayMs: 60_000 });
    await pool.whenReady();
    const outcome = await pool.run(attempt({}));
    expect(outcome).toMatchObject({ ok: false, error: { reason: 'handler_crash' } });
    const childPid = Number(/child pid (\d+)/.exec(records.map((r) => String(r.stderr ?? '')).join('\n'))?.[1]);
    expect(childPid).toBeGreaterThan(0);
    const start = Date.now();
    while (isAlive(childPid) && Date.now() - start < 3000) await new Promise((r) => setTimeout(r, 20));
    expect(isAlive(childPid)).toBe(false);
  });

  it('a process whose load timed out takes no task even if it says ready while being killed', async () => {
    // Ignores SIGTERM, says ready after 600 ms: inside the kill grace of a 300 ms load timeout.
    const late = { command: '/bin/sh', args: ['-c', `trap '' TERM; sleep 0.6; echo '{"status":"ready"}'; exec cat`] };
    const { pool } = startPool({ command: late, loadTimeoutMs: 300, killGraceMs: 1500, maxFailedStarts: 5, restartDelayMs: 60_000 });
    await new Promise((r) => setTimeout(r, 900));
    expect(pool.stats().ready).toBe(0);
    expect(pool.capacity).toBe(1);
  });

  it('says that a SIGKILL may mean out of memory', async () => {
    const { pool } = startPool({ command: pyHandler('crash.py') });
    const outcome = await pool.run(attempt({ kill: true }));
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.error.message).toMatch(/SIGKILL.*out of memory/);
  });

  it('times out a hung task: cancel message, then SIGTERM, then a fresh process', async () => {
    const { pool } = startPool({ command: pyHandler('forever.py'), cancelGraceMs: 100, killGraceMs: 500, restartDelayMs: 10 });
    await pool.whenReady();
    const outcome = await pool.run(attempt({}, { timeoutMs: 200 }));
    expect(outcome).toMatchObject({ ok: false, retry: true, error: { reason: 'timeout', type: 'Timeout' } });
    const first = pool.stats();
    expect(first.running + first.processes).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 100));
    // The hung process is replaced: a new one becomes ready.
    const start = Date.now();
    while (pool.stats().restarts < 1 && Date.now() - start < 5000) await new Promise((r) => setTimeout(r, 20));
    expect(pool.stats().restarts).toBe(1);
    await pool.whenReady();
  });

  it('escalates to SIGKILL when the handler ignores SIGTERM', async () => {
    const { pool, records } = startPool({ command: pyHandler('ignores-sigterm.py'), cancelGraceMs: 50, killGraceMs: 200, restartDelayMs: 10 });
    const outcome = await pool.run(attempt({}, { timeoutMs: 100 }));
    expect(outcome).toMatchObject({ ok: false, error: { reason: 'timeout' } });
    const start = Date.now();
    while (!records.some((r) => String(r.msg).includes('SIGKILL')) && Date.now() - start < 5000) await new Promise((r) => setTimeout(r, 20));
    expect(records.some((r) => r.why === 'did not exit after SIGTERM')).toBe(true);
  });

  it('fails a task whose reply is over the maximum line size and recycles the process', async () => {
    const { pool } = startPool({ command: pyHandler('big-reply.py'), maxLineBytes: 4096, restartDelayMs: 10 });
    const small = await pool.run(attempt({ bytes: 100 }));
    expect(small.ok).toBe(true);
    const big = await pool.run(attempt({ bytes: 100_000 }));
    expect(big).toMatchObject({ ok: false, retry: false, error: { type: 'LineTooLong' } });
    if (!big.ok) expect(big.error.message).toMatch(/over the maximum of 4096 bytes/);
    const again = await pool.run(attempt({ bytes: 10 }));
    expect(again.ok).toBe(true);
  });

  it('passes the retry flag and retry_after_ms through', async () => {
    const { pool } = startPool({ command: pyHandler('flaky.py') });
    const retry = await pool.run(attempt({ succeed_on: 1, retry_after_ms: 1500 }));
    expect(retry).toMatchObject({ ok: false, retry: true, retryAfterMs: 1500, error: { message: 'upstream 429' } });
    const permanent = await pool.run(attempt({ permanent: true }));
    expect(permanent).toMatchObject({ ok: false, retry: false, error: { message: 'bad input', type: 'ValueError', reason: 'error' } });
  });

  it('recycles a process after --max-tasks-per-process tasks', async () => {
    const { pool } = startPool({ command: pyHandler('echo.py'), maxTasksPerProcess: 3 });
    const pids: number[] = [];
    for (let i = 0; i < 7; i += 1) {
      const o = await pool.run(attempt(i));
      if (o.ok) pids.push((o.result as { pid: number }).pid);
    }
    expect(pids).toHaveLength(7);
    expect(new Set(pids.slice(0, 3)).size).toBe(1);
    expect(new Set(pids.slice(3, 6)).size).toBe(1);
    expect(pids[3]).not.toBe(pids[0]);
    expect(pids[6]).not.toBe(pids[3]);
  });

  it('recycles a process over --max-rss', async () => {
    const { pool } = startPool({ command: pyHandler('echo.py'), maxRssBytes: 1024 * 1024 });
    const a = await pool.run(attempt(1));
    await new Promise((r) => setTimeout(r, 200));
    const b = await pool.run(attempt(2));
    expect(a.ok && b.ok).toBe(true);
    if (a.ok && b.ok) expect((b.result as { pid: number }).pid).not.toBe((a.result as { pid: number }).pid);
  });

  it('cancels a queued and a running task', async () => {
    const { pool } = startPool({ command: pyHandler('forever.py'), cancelGraceMs: 100, killGraceMs: 300 });
    await pool.whenReady();
    const running = pool.run(attempt({}, { id: 'running' }));
    const queued = pool.run(attempt({}, { id: 'queued' }));
    await new Promise((r) => setTimeout(r, 50));
    expect(pool.cancel('queued')).toBe(true);
    expect(pool.cancel('running')).toBe(true);
    expect(await queued).toMatchObject({ ok: false, retry: false, error: { reason: 'cancelled' } });
    expect(await running).toMatchObject({ ok: false, retry: false, error: { reason: 'cancelled' } });
    expect(pool.cancel('unknown')).toBe(false);
  });
});
