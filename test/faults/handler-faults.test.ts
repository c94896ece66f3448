/**
 * Handler faults, end to end: `drover run` as a real process, worker.py as the handler, a real
 * Redis. Each test pins down every task's final state and execution count, and that no handler
 * process or child of one is left running.
 */
import { describe, expect, it } from 'vitest';
import { until } from '../helpers/handlers.js';
import { whenReady } from '../helpers/supervisor.js';
import { childPids, handlerStarts, runsOf } from './helpers/fault-records.js';
import { isRunning, survivors } from './helpers/fault-procs.js';
import { each, expectFinishedBy, scenarioPerTest } from './helpers/fault-scenario.js';

const open = scenarioPerTest();

const noBackoff = { backoff: { type: 'fixed' as const, baseMs: 0 } };

describe('handler faults under drover run', () => {
  it('crash at load: tasks wait uncounted until a start succeeds, then each runs exactly once', async () => {
    const s = open('load-crash');
    const ids = (await s.client.enqueueMany('work', [0, 1, 2, 3].map((i) => ({ payload: { i } })))).map((r) => r.id);
    const sup = s.supervise(['-q', 'work'], { CRASH_AT_LOAD: '2' });
    expect(await s.final(ids)).toEqual(each(ids, { state: 'completed', attempts: 1 }));
    expect(runsOf(s.files.record, ids)).toEqual(each(ids, [1, 1]));
    const starts = handlerStarts(s.files.starts);
    expect(starts).toHaveLength(3); // crash, crash, ready
    expect(sup.log().match(/handler failed to start/g)).toHaveLength(2);
    expect(sup.log()).toContain('CUDA error: no kernel image is available');
    expect(await sup.stop()).toBe(0);
    expect(s.leftovers()).toEqual([]);
  });

  it('crash mid-task: the attempt fails as handler_crash with the exit code and stderr, is retried, the process is replaced', async () => {
    const s = open('mid-crash');
    const sup = s.supervise(['-q', 'work']);
    await whenReady(sup);
    const once = await s.client.enqueue('work', { crash: 'first' }, { maxRetries: 1, ...noBackoff });
    const always = await s.client.enqueue('work', { crash: 'always' }, { maxRetries: 1, ...noBackoff });
    const fine = await s.client.enqueue('work', {}, { maxRetries: 1, ...noBackoff });
    const ids = [once.id, always.id, fine.id];
    expect(await s.final(ids)).toEqual({
      [once.id]: { state: 'completed', attempts: 2 },
      [always.id]: { state: 'failed', attempts: 2, reason: 'handler_crash' },
      [fine.id]: { state: 'completed', attempts: 1 },
    });
    expect(runsOf(s.files.record, ids)).toEqual({ [once.id]: [2, 1], [always.id]: [2, 0], [fine.id]: [1, 1] });
    const dead = await s.client.get(always.id);
    expect(dead.error?.message).toMatch(/exited with code 3 while running this task/);
    expect(dead.error?.message).toContain(`crashing mid-task ${always.id}`);
    await until(() => handlerStarts(s.files.starts).length === 4, 5000, 'the replacement of the last crashed process');
    const starts = handlerStarts(s.files.starts); // the first process and one replacement per crash
    expect(starts.slice(0, 3).filter((p) => isRunning(p.pid))).toEqual([]);
    expect(await sup.stop()).toBe(0);
    expect(s.leftovers()).toEqual([]);
  });

  it('crash between tasks (exit right after a reply): the replied task completes once, none is lost or run twice', async () => {
    const s = open('between');
    const sup = s.supervise(['-q', 'work']);
    await whenReady(sup);
    const payloads = [{}, { exit_after_reply: 'always' }, {}, {}, { exit_after_reply: 'always' }, {}];
    const ids = (await s.client.enqueueMany('work', payloads.map((payload) => ({ payload, options: { maxRetries: 2, ...noBackoff } })))).map((r) => r.id);
    const outcomes = await s.final(ids);
    expect(runsOf(s.files.record, ids)).toEqual(each(ids, [1, 1])); // every task ran exactly once
    expect(Object.values(outcomes).map((o) => o.state)).toEqual(ids.map(() => 'completed'));
    // A task written to the process in the instant it exits cannot be told from one that crashed
    // it: it is charged one handler_crash attempt, though it never ran. Only the task right
    // behind an exit can be, so at most one per exit; with pipelining (--pipeline 1) that is the
    // task written ahead, which may be any of the others once the first exit requeued tasks.
    for (const id of ids) expect([1, 2]).toContain(outcomes[id]!.attempts);
    expect(outcomes[ids[1]!]!.attempts).toBe(1); // the tasks that exited after replying
    expect(outcomes[ids[4]!]!.attempts).toBe(1);
    const charged = ids.filter((id) => outcomes[id]!.attempts === 2);
    expect(charged.length).toBeLessThanOrEqual(2); // two exits
    const crashLines = sup.log().split('\n').filter((l) => l.includes('task attempt failed'));
    expect(crashLines).toHaveLength(charged.length);
    for (const line of crashLines) expect(line).toContain('"reason":"handler_crash"');
    expect(handlerStarts(s.files.starts).length).toBeGreaterThanOrEqual(3); // two exits, two replacements
    expect(await sup.stop()).toBe(0);
    expect(s.leftovers()).toEqual([]);
  });

  it('never ready (load timeout): killed at --load-timeout, unhealthy, tasks untouched; a healthy supervisor then runs them once', async () => {
    const s = open('never-ready');
    const ids = (await s.client.enqueueMany('work', [0, 1].map((i) => ({ payload: { i } })))).map((r) => r.id);
    const sup = s.supervise(['-q', 'work', '--load-timeout', '500ms', '--max-failed-starts', '2', '--kill-grace', '300ms', '--grace', '1s'], { NEVER_READY: '1' });
    await until(() => sup.log().includes('handler unhealthy'), 15_000, () => `unhealthy:\n${sup.log().slice(-3000)}`);
    expect(sup.log()).toContain('did not become ready within 500 ms (--load-timeout)');
    const timedOut = handlerStarts(s.files.starts).slice(0, 2).map((p) => p.pid);
    await until(() => survivors(timedOut).length === 0, 5000, 'the timed-out handlers to be killed');
    for (const id of ids) expect(await s.client.get(id)).toMatchObject({ state: 'pending', attempts: 0 });
    expect(await sup.stop()).toBe(0);
    expect(s.leftovers()).toEqual([]);

    await expectFinishedBy(s, ['-q', 'work'], ids);
  });

  it('hangs on a task: reason timeout at the task timeout, the hung process is replaced', async () => {
    const s = open('hang');
    const sup = s.supervise(['-q', 'work', '--cancel-grace', '200ms', '--kill-grace', '300ms']);
    await whenReady(sup);
    const opts = { timeoutMs: 500, maxRetries: 1, ...noBackoff };
    const always = await s.client.enqueue('work', { hang: 'always' }, opts);
    const once = await s.client.enqueue('work', { hang: 'first' }, opts);
    const fine = await s.client.enqueue('work', {}, opts);
    const ids = [always.id, once.id, fine.id];
    expect(await s.final(ids)).toEqual({
      [always.id]: { state: 'failed', attempts: 2, reason: 'timeout' },
      [once.id]: { state: 'completed', attempts: 2 },
      [fine.id]: { state: 'completed', attempts: 1 },
    });
    expect(runsOf(s.files.record, ids)).toEqual({ [always.id]: [2, 0], [once.id]: [2, 1], [fine.id]: [1, 1] });
    expect((await s.client.get(always.id)).error?.message).toMatch(/^task timed out after 500 ms/);
    const starts = handlerStarts(s.files.starts);
    expect(starts).toHaveLength(4); // one replacement per hung attempt
    expect(starts.slice(0, 3).filter((p) => isRunning(p.pid))).toEqual([]);
    expect(await sup.stop()).toBe(0);
    expect(s.leftovers()).toEqual([]);
  });

  it('ignores SIGTERM: escalated to SIGKILL after --kill-grace; the next task runs on a fresh process', async () => {
    const s = open('sigterm');
    const sup = s.supervise(['-q', 'work', '--cancel-grace', '100ms', '--kill-grace', '400ms'], { IGNORE_SIGTERM: '1' });
    await whenReady(sup);
    const hung = await s.client.enqueue('work', { hang: 'always' }, { timeoutMs: 300, maxRetries: 0 });
    const next = await s.client.enqueue('work', {}, { maxRetries: 0 });
    expect(await s.final([hung.id, next.id])).toEqual({
      [hung.id]: { state: 'failed', attempts: 1, reason: 'timeout' },
      [next.id]: { state: 'completed', attempts: 1 },
    });
    expect(runsOf(s.files.record, [hung.id, next.id])).toEqual({ [hung.id]: [1, 0], [next.id]: [1, 1] });
    expect(sup.log()).toContain('did not exit after SIGTERM');
    const [first, second] = handlerStarts(s.files.starts);
    expect(isRunning(first!.pid)).toBe(false);
    expect(((await s.client.get(next.id)).result as { pid: number }).pid).toBe(second!.pid);
    expect(await sup.stop()).toBe(0); // EOF still ends a handler that ignores SIGTERM
    expect(s.leftovers()).toEqual([]);
  });

  it('spawns children and dies: the children and grandchildren die with it, the task is retried', async () => {
    const s = open('children');
    const sup = s.supervise(['-q', 'work']);
    await whenReady(sup);
    const { id } = await s.client.enqueue('work', { children: 3, crash: 'first' }, { maxRetries: 1, ...noBackoff });
    expect(await s.final([id])).toEqual({ [id]: { state: 'completed', attempts: 2 } });
    expect(runsOf(s.files.record, [id])).toEqual({ [id]: [2, 1] });
    const children = childPids(s.files.children);
    expect(children).toHaveLength(8); // per attempt: sleep, sh and its sleep, sleep
    const firstAttempt = children.slice(0, 4);
    await until(() => survivors(firstAttempt).length === 0, 3000, () => `the crashed handler's children to die: ${survivors(firstAttempt).join(', ')}`);
    expect(survivors(children.slice(4)).length).toBeGreaterThan(0); // the live handler's children run on...
    expect(await sup.stop()).toBe(0);
    expect(s.leftovers()).toEqual([]); // ...until it exits: then its group is killed
  });
});
