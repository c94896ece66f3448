import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, isProgress, isReply, killLeftovers, startHandler } from './harness.js';

beforeAll(assertBuilt);
afterEach(killLeftovers);

describe('Node SDK lifecycle', () => {
  it('at EOF finishes the tasks in flight, then exits 0', async () => {
    const h = startHandler('ops.mjs', { args: ['2'] });
    h.send({ task_id: 'h1', payload: { op: 'hold', ms: 150 } });
    h.send({ task_id: 'h2', payload: { op: 'hold', ms: 100 } });
    h.send({ task_id: 'h3', payload: { op: 'hold', ms: 50 } });
    h.end();
    expect(await h.exited).toEqual({ code: 0, signal: null });
    for (const id of ['h1', 'h2', 'h3']) expect(h.messages.find(isReply(id))).toMatchObject({ result: 'held' });
  }, 10_000);

  it('on a first SIGTERM finishes the task in flight, hands new ones back with retry, exits 0', async () => {
    const h = startHandler('ops.mjs');
    h.send({ task_id: 'busy', payload: { op: 'untilCancel' } });
    await h.waitFor(isProgress('busy', 'started'));
    h.child.kill('SIGTERM');
    h.send({ task_id: 'late', payload: { op: 'echo' } });
    // The late task is handed back only once the signal has been handled.
    expect(await h.waitFor(isReply('late'))).toEqual({
      task_id: 'late',
      result: null,
      error: { message: 'handler is shutting down (SIGTERM); task not started', type: 'ShutdownError' },
      retry: true,
    });
    expect(h.child.exitCode).toBeNull();
    expect(h.messages.find(isReply('busy'))).toBeUndefined();
    h.send({ type: 'cancel', task_id: 'busy' }); // lets the busy task return normally
    expect(await h.exited).toEqual({ code: 0, signal: null });
    expect(h.messages.find(isReply('busy'))).toMatchObject({ result: { released: true }, error: null });
  }, 10_000);

  it('on a second SIGTERM exits at once', async () => {
    const h = startHandler('ops.mjs', { fd3: false });
    h.send({ task_id: 'stuck', payload: { op: 'forever' } });
    await h.waitFor(isProgress('stuck', 'started'));
    h.child.kill('SIGTERM');
    await h.waitForStderr('SIGTERM: finishing tasks in flight');
    expect(h.child.exitCode).toBeNull();
    h.child.kill('SIGTERM');
    expect(await h.exited).toEqual({ code: null, signal: 'SIGTERM' });
    expect(h.messages.find(isReply('stuck'))).toBeUndefined();
  }, 10_000);

  it('on SIGTERM during the load phase exits 0 at once', async () => {
    const h = startHandler('ops.mjs', { env: { FIXTURE_LOAD: 'hang' } });
    await h.waitForStderr('loading the lookup table');
    h.child.kill('SIGTERM');
    expect(await h.exited).toEqual({ code: 0, signal: null });
    expect(h.messages).toEqual([]);
  }, 10_000);

  it('aborts info.signal on {"type":"cancel"} with a CancelledError', async () => {
    const h = startHandler('ops.mjs', { args: ['2'] });
    h.send({ task_id: 'w', payload: { op: 'waitCancel' } });
    h.send({ task_id: 'p', payload: { op: 'pollCancel' } });
    await h.waitFor(isProgress('w', 'started'));
    await h.waitFor(isProgress('p', 'started'));
    h.send({ type: 'cancel', task_id: 'unknown-task' });
    h.send({ type: 'cancel', task_id: 'w' });
    expect(await h.waitFor(isReply('w'))).toMatchObject({
      result: null,
      error: { type: 'CancelledError', message: 'task cancelled by the supervisor' },
      retry: false,
    });
    expect(h.messages.find(isReply('p'))).toBeUndefined();
    h.send({ type: 'cancel', task_id: 'p' });
    expect(await h.waitFor(isReply('p'))).toMatchObject({ result: { stoppedEarly: true, cancelled: true, rounds: true } });
  }, 10_000);

  it('cancels a task still waiting for a slot without running it', async () => {
    const h = startHandler('ops.mjs');
    h.send({ task_id: 'first', payload: { op: 'waitCancel' } });
    h.send({ task_id: 'queued', payload: { op: 'stream' } });
    await h.waitFor(isProgress('first', 'started'));
    h.send({ type: 'cancel', task_id: 'queued' });
    expect(await h.waitFor(isReply('queued'))).toMatchObject({
      error: { type: 'CancelledError', message: 'task cancelled by the supervisor before it started' },
      retry: false,
    });
    h.send({ type: 'cancel', task_id: 'first' });
    h.end();
    expect(await h.exited).toEqual({ code: 0, signal: null });
    expect(h.messages.some((m) => m.task_id === 'queued' && m.type === 'progress')).toBe(false);
    expect(h.messages.find(isReply('first'))).toMatchObject({ error: { type: 'CancelledError' } });
  }, 10_000);
});
