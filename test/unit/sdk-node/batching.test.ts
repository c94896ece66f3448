import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { batchOutcomes } from '../../../sdk/node/batch-call.js';
import { BatchResultError } from '../../../sdk/node/errors.js';
import { task } from '../../../sdk/node/registry.js';
import { assertBuilt, isReply, killLeftovers, startHandler, type Handler, type Message } from './harness.js';

// Batches are shown by structure, not timing: each result lists the ids of its batch, and a
// maxWaitMs far longer than any test shows that a batch formed because it was full.
const FIXTURE = '../handlers/batch-node.mjs';
const NEVER_MS = '60000';

beforeAll(assertBuilt);
afterEach(killLeftovers);
const scratch = mkdtempSync(path.join(tmpdir(), 'drover-batch-node-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function batched(env: Record<string, string | number> = {}): Handler {
  const full: Record<string, string> = { FIXTURE_BATCH: '4', FIXTURE_MAX_WAIT_MS: NEVER_MS };
  for (const [k, v] of Object.entries(env)) full[k] = String(v);
  return startHandler(FIXTURE, { env: full });
}

/** Several task lines in one write, so they arrive within one read. */
function sendTogether(h: Handler, tasks: Array<[string, Message]>): void {
  h.send(tasks.map(([id, payload]) => JSON.stringify({ task_id: id, payload })).join('\n'));
}

async function resultOf(h: Handler, id: string): Promise<Record<string, unknown>> {
  const reply = await h.waitFor(isReply(id), `reply to ${id}`);
  expect(reply.error, JSON.stringify(reply)).toBeNull();
  return reply.result as Record<string, unknown>;
}

const errorOf = async (h: Handler, id: string) => (await h.waitFor(isReply(id), `reply to ${id}`)) as Message & { error: Message };
const repliesTo = (h: Handler, id: string) => h.messages.filter(isReply(id)).length;

describe('Node SDK batching: forming batches', () => {
  it('declares the batch size as concurrency; run({ concurrency }) overrides it', async () => {
    const h = batched({ FIXTURE_BATCH: 32 });
    expect(await h.waitFor((m) => 'status' in m)).toEqual({ status: 'ready', protocol: 1, concurrency: 32 });
    const o = batched({ FIXTURE_BATCH: 8, FIXTURE_CONCURRENCY: 16 });
    expect(await o.waitFor((m) => 'status' in m)).toMatchObject({ concurrency: 16 });
  });

  it('dispatches a full batch without waiting and maps results to ids', async () => {
    const h = batched({ FIXTURE_BATCH: 3 });
    sendTogether(h, [['a', { value: 10 }], ['b', { value: 20 }], ['c', { value: 30 }]]);
    for (const [id, value] of [['a', 10], ['b', 20], ['c', 30]] as const) {
      const result = await resultOf(h, id);
      expect(result).toMatchObject({ value, batch: ['a', 'b', 'c'], call: 1, currentTask: null });
      expect(result.waitedMs).toBeGreaterThanOrEqual(0);
    }
  });

  it('dispatches a lone task alone once maxWaitMs has passed', async () => {
    const h = batched({ FIXTURE_BATCH: 32, FIXTURE_MAX_WAIT_MS: 30 });
    h.send({ task_id: 'solo', payload: { value: 1 } }); // stdin stays open: only the wait ends it
    expect(await resultOf(h, 'solo')).toMatchObject({ batch: ['solo'] });
  });

  it('cuts more tasks than the batch size into batches in arrival order', async () => {
    const h = batched({ FIXTURE_BATCH: 2, FIXTURE_CONCURRENCY: 5 });
    sendTogether(h, ['t1', 't2', 't3', 't4', 't5'].map((id): [string, Message] => [id, { value: id }]));
    expect((await resultOf(h, 't1')).batch).toEqual(['t1', 't2']);
    expect((await resultOf(h, 't4')).batch).toEqual(['t3', 't4']);
    h.end(); // the fifth waits for a partner until input ends
    expect((await resultOf(h, 't5')).batch).toEqual(['t5']);
    expect(await h.exited).toEqual({ code: 0, signal: null });
  });

  it('runs one batch at a time while the next one gathers', async () => {
    const release = path.join(scratch, 'release-overlap');
    const h = batched({ FIXTURE_BATCH: 2, FIXTURE_CONCURRENCY: 4 });
    sendTogether(h, [['a', { op: 'block', path: release }], ['b', {}]]);
    await h.waitForStderr('BATCH-BLOCKED a,b');
    sendTogether(h, [['c', {}], ['d', {}]]);
    writeFileSync(release, '');
    expect((await resultOf(h, 'a')).batch).toEqual(['a', 'b']);
    expect((await resultOf(h, 'd')).batch).toEqual(['c', 'd']);
    h.end();
    await h.exited;
    expect(h.stderr()).not.toContain('BATCH-PEAK 2');
  });

  it('runOnce() serves one task as a batch of one without waiting', async () => {
    const h = batched({ FIXTURE_BATCH: 8, FIXTURE_MODE: 'once' });
    h.send({ task_id: 'only', payload: { value: 5 } });
    expect(await resultOf(h, 'only')).toMatchObject({ batch: ['only'] });
    expect(await h.exited).toEqual({ code: 0, signal: null });
  });
});

describe('Node SDK batching: per-item outcomes', () => {
  it('an Error in the returned array fails only its task', async () => {
    const h = batched();
    sendTogether(h, [['ok1', { value: 1 }], ['bad', { op: 'fail' }], ['later', { op: 'retry' }], ['ok2', { value: 2 }]]);
    expect(await errorOf(h, 'bad')).toMatchObject({ error: { type: 'TypeError', message: 'bad item bad' }, retry: false });
    expect(await errorOf(h, 'later')).toMatchObject({ error: { type: 'RetryableError' }, retry: true, retry_after_ms: 1500 });
    expect(await resultOf(h, 'ok1')).toMatchObject({ value: 1 });
    expect(await resultOf(h, 'ok2')).toMatchObject({ value: 2, batch: ['ok1', 'bad', 'later', 'ok2'] });
  });

  it('a result JSON cannot represent fails only its task', async () => {
    const h = batched({ FIXTURE_BATCH: 2 });
    sendTogether(h, [['big', { op: 'bigint' }], ['fine', { value: 3 }]]);
    expect(await errorOf(h, 'big')).toMatchObject({ error: { type: 'SerializationError' } });
    expect(await resultOf(h, 'fine')).toMatchObject({ value: 3 });
  });

  it('a throw from the call fails every task of the batch', async () => {
    const h = batched({ FIXTURE_BATCH: 2 });
    sendTogether(h, [['x', { op: 'raise_all' }], ['y', {}]]);
    for (const id of ['x', 'y']) {
      expect(await errorOf(h, id)).toMatchObject({ error: { type: 'Error', message: 'the whole batch broke' }, retry: false });
    }
    sendTogether(h, [['z1', { op: 'retry_all' }], ['z2', {}]]);
    for (const id of ['z1', 'z2']) expect(await errorOf(h, id)).toMatchObject({ retry: true, retry_after_ms: 250 });
  });

  it('a wrong length or a non-array fails every task with BatchResultError', async () => {
    const h = batched({ FIXTURE_BATCH: 3 });
    sendTogether(h, [['p', { op: 'wrong_length' }], ['q', {}], ['r', {}]]);
    for (const id of ['p', 'q', 'r']) {
      const { error } = await errorOf(h, id);
      expect(error.type).toBe('BatchResultError');
      expect(error.message).toContain('returned 2 results for 3 payloads');
    }
    sendTogether(h, [['s', { op: 'not_list' }], ['t', {}], ['u', {}]]);
    for (const id of ['s', 't', 'u']) {
      expect((await errorOf(h, id)).error.message).toContain('must return an array with one result per payload, got object');
    }
  });
});

describe('Node SDK batching: progress, partial and cancel', () => {
  it('progress() reports for every task of the batch, item.partial() for one', async () => {
    const h = batched({ FIXTURE_BATCH: 2 });
    sendTogether(h, [['g1', { op: 'progress' }], ['g2', {}]]);
    await resultOf(h, 'g1');
    await resultOf(h, 'g2');
    const events = (id: string) => h.messages.filter((m) => m.task_id === id && 'type' in m);
    expect(events('g1')).toEqual([
      { type: 'progress', task_id: 'g1', progress: 0.5, message: 'half' },
      { type: 'partial', task_id: 'g1', data: { only: 'g1' } },
    ]);
    expect(events('g2')).toEqual([{ type: 'progress', task_id: 'g2', progress: 0.5, message: 'half' }]);
  });

  it('partial() inside a batched task throws, naming the per-item API', async () => {
    const h = batched({ FIXTURE_BATCH: 1 });
    h.send({ task_id: 'w', payload: { op: 'partial_module' } });
    expect((await errorOf(h, 'w')).error.message).toContain('batch.items[i].partial(data)');
  });

  it('a task cancelled while it waits in the buffer is answered and never runs', async () => {
    const h = batched();
    sendTogether(h, [['keep', { value: 1 }], ['drop', { value: 2 }]]);
    h.send({ type: 'cancel', task_id: 'drop' });
    expect(await errorOf(h, 'drop')).toMatchObject({ error: { type: 'CancelledError' }, retry: false });
    h.end(); // input ends: the buffer is dispatched without the cancelled task
    expect((await resultOf(h, 'keep')).batch).toEqual(['keep']);
    expect(await h.exited).toEqual({ code: 0, signal: null });
    expect(repliesTo(h, 'drop')).toBe(1);
  });

  it('a task cancelled in a running batch is answered at once; the others go on', async () => {
    const release = path.join(scratch, 'release-cancel');
    const h = batched({ FIXTURE_BATCH: 2 });
    sendTogether(h, [['x', { op: 'block', path: release }], ['y', { value: 9 }]]);
    await h.waitForStderr('BATCH-BLOCKED x,y');
    h.send({ type: 'cancel', task_id: 'x' });
    expect(await errorOf(h, 'x')).toMatchObject({ error: { type: 'CancelledError' } });
    writeFileSync(release, ''); // only now can the batch return
    expect(await resultOf(h, 'y')).toMatchObject({ value: 9 });
    h.end();
    expect(await h.exited).toEqual({ code: 0, signal: null });
    expect(repliesTo(h, 'x')).toBe(1);
  });

  it('when every task of a batch is cancelled, batch.signal aborts and cancelled() is true', async () => {
    const h = batched({ FIXTURE_BATCH: 2 });
    sendTogether(h, [['m', { op: 'block', path: path.join(scratch, 'never') }], ['n', {}]]);
    await h.waitForStderr('BATCH-BLOCKED m,n');
    h.send({ type: 'cancel', task_id: 'm' });
    expect(await errorOf(h, 'm')).toMatchObject({ error: { type: 'CancelledError' } });
    h.send({ type: 'cancel', task_id: 'n' });
    expect(await errorOf(h, 'n')).toMatchObject({ error: { type: 'CancelledError' } });
    await h.waitForStderr('BATCH-SAW-CANCEL cancelled()=true');
    h.send({ task_id: 'after', payload: { value: 4 } });
    h.end();
    expect((await resultOf(h, 'after')).batch).toEqual(['after']);
    expect(await h.exited).toEqual({ code: 0, signal: null });
  });

  it('SIGTERM hands back tasks still waiting in the buffer with retry:true', async () => {
    const h = batched({ FIXTURE_BATCH: 8 });
    sendTogether(h, [['s1', {}], ['s2', {}], ['s0', {}]]);
    // Lines are handled in order: the answer to this cancel proves s1 and s2 were read.
    h.send({ type: 'cancel', task_id: 's0' });
    await errorOf(h, 's0');
    h.child.kill('SIGTERM');
    for (const id of ['s1', 's2']) expect(await errorOf(h, id)).toMatchObject({ error: { type: 'ShutdownError' }, retry: true });
    expect(await h.exited).toEqual({ code: 0, signal: null });
  });
});

describe('Node SDK batching: options and result mapping (in process)', () => {
  it('task() refuses bad batch options, naming the option and value', () => {
    const fn = (payloads: unknown[]) => payloads;
    expect(() => task(fn, { batch: 0 })).toThrow('task(): option "batch" must be a positive integer, got 0');
    expect(() => task(fn, { batch: 2.5 })).toThrow('got 2.5');
    expect(() => task(fn, { batch: 2, maxWaitMs: -1 })).toThrow('option "maxWaitMs" must be a finite number >= 0, got -1');
    expect(() => task(fn, { batch: 2, maxWaitMs: Number.POSITIVE_INFINITY })).toThrow('got Infinity');
  });

  it('maps results to outcomes: values succeed, Errors fail alone, a bad shape fails all', () => {
    const failure = new RangeError('nope');
    expect(batchOutcomes([1, failure, null], 3)).toEqual([
      { ok: true, result: 1 },
      { ok: false, error: failure },
      { ok: true, result: null },
    ]);
    const short = batchOutcomes([1], 2);
    expect(short).toHaveLength(2);
    for (const outcome of short) {
      expect(outcome.ok).toBe(false);
      const error = (outcome as { error: unknown }).error;
      expect(error).toBeInstanceOf(BatchResultError);
      expect((error as Error).message).toContain('returned 1 results for 2 payloads');
    }
    expect((batchOutcomes(undefined, 1)[0] as { error: Error }).error.message).toContain('got undefined');
  });
});
