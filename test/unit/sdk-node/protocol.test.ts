import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, isProgress, isReply, killLeftovers, READY_1, startHandler } from './harness.js';

beforeAll(assertBuilt);
afterEach(killLeftovers);

describe.each([
  { mode: 'protocol fd 3', fd3: true },
  { mode: 'stdout', fd3: false },
])('Node SDK protocol over $mode', ({ fd3 }) => {
  it('writes the ready line after load and passes ctx, payload and context fields', async () => {
    const h = startHandler('ops.mjs', { fd3 });
    h.send({
      task_id: 't1',
      payload: { op: 'echo', text: 'héllo' },
      type: 'summarize',
      queue: 'inference.default',
      retry_count: 2,
      max_retry: 5,
      deadline_ms: 1_900_000_000_000,
      meta: { user: 'u1' },
    });
    h.send({ task_id: 't2', payload: { op: 'echo' } });
    const reply = await h.waitFor(isReply('t1'));
    const second = await h.waitFor(isReply('t2'));
    h.end();
    expect(await h.exited).toEqual({ code: 0, signal: null });
    expect(h.messages[0]).toEqual(READY_1);
    const context = {
      taskId: 't1',
      type: 'summarize',
      queue: 'inference.default',
      retryCount: 2,
      maxRetry: 5,
      deadlineMs: 1_900_000_000_000,
      meta: { user: 'u1' },
    };
    expect(reply).toEqual({
      task_id: 't1',
      result: {
        payload: { op: 'echo', text: 'héllo' },
        table: { a: 1, b: 2 },
        loadCount: 1,
        info: { ...context, signal: 'object' },
        current: context,
        outsideTaskError: expect.stringContaining('must be called while a task runs'),
      },
      error: null,
      retry: false,
    });
    expect(second.result).toMatchObject({ loadCount: 1, current: { taskId: 't2', retryCount: 0, meta: {} } });
    expect(h.stderr()).toContain('loading the lookup table');
    expect(h.garbage).toEqual([]);
  }, 10_000);

  it('reports a failed load as {"status":"error"} with the message verbatim and exits 1', async () => {
    const h = startHandler('ops.mjs', { fd3, env: { FIXTURE_LOAD: 'fail' } });
    const exit = await h.exited;
    expect(exit.code).toBe(1);
    expect(h.messages).toEqual([{ status: 'error', error: 'model file missing: /models/x.bin' }]);
    expect(h.stderr()).toMatch(/Error: model file missing[\s\S]*at .*ops\.mjs/);
    expect(h.garbage).toEqual([]);
  }, 10_000);
});

describe('Node SDK replies', () => {
  it('reports exceptions as typed errors with a stack, retry false', async () => {
    const h = startHandler('ops.mjs');
    for (const op of ['throwType', 'throwCustom', 'throwString', 'rejectAsync', 'nope']) h.send({ task_id: op, payload: { op } });
    h.end();
    await h.exited;
    const byId = (id: string) => h.messages.find(isReply(id));
    expect(byId('throwType')).toEqual({
      task_id: 'throwType',
      result: null,
      error: { message: 'bad input: expected text', type: 'TypeError', stack: expect.stringMatching(/^TypeError: bad input[\s\S]*ops\.mjs/) },
      retry: false,
    });
    expect(byId('throwCustom')?.error).toMatchObject({ message: 'quota exceeded', type: 'QuotaError', stack: expect.stringContaining('ops.mjs') });
    expect(byId('throwString')).toMatchObject({ result: null, error: { message: 'plain string', type: 'string' }, retry: false });
    expect(byId('rejectAsync')?.error).toMatchObject({ message: 'async failure', type: 'RangeError' });
    expect(byId('nope')?.error).toMatchObject({ message: 'unknown op nope', type: 'Error' });
  }, 10_000);

  it('maps RetryableError to retry:true with retry_after_ms', async () => {
    const h = startHandler('ops.mjs');
    h.send({ task_id: 'r1', payload: { op: 'retry' } });
    h.send({ task_id: 'r2', payload: { op: 'retryPlain' } });
    h.end();
    await h.exited;
    expect(h.messages.find(isReply('r1'))).toEqual({
      task_id: 'r1',
      result: null,
      error: { message: 'upstream 429', type: 'RetryableError', stack: expect.any(String) },
      retry: true,
      retry_after_ms: 1500,
    });
    const r2 = h.messages.find(isReply('r2'));
    expect(r2).toMatchObject({ retry: true, error: { message: 'connection reset', type: 'RetryableError' } });
    expect(r2).not.toHaveProperty('retry_after_ms');
  }, 10_000);

  it('streams progress and partial lines before the reply, in order', async () => {
    const h = startHandler('ops.mjs');
    h.send({ task_id: 's1', payload: { op: 'stream' } });
    h.end();
    await h.exited;
    expect(h.messages.slice(1)).toEqual([
      { type: 'progress', task_id: 's1', progress: 0.25, message: 'quarter' },
      { type: 'partial', task_id: 's1', data: { token: 'Hel' } },
      { type: 'partial', task_id: 's1', data: 'lo' },
      { type: 'progress', task_id: 's1', progress: 1 },
      { task_id: 's1', result: 'done', error: null, retry: false },
    ]);
  }, 10_000);

  it('keeps currentTask() across timers and promises', async () => {
    const h = startHandler('ops.mjs');
    h.send({ task_id: 'c1', payload: { op: 'currentLater' }, queue: 'q1' });
    const reply = await h.waitFor(isReply('c1'));
    expect(reply.result).toMatchObject({ taskId: 'c1', queue: 'q1' });
  }, 10_000);

  it('turns a result JSON cannot represent into a SerializationError reply and keeps serving', async () => {
    const h = startHandler('ops.mjs');
    h.send({ task_id: 'b1', payload: { op: 'bigint' } });
    h.send({ task_id: 'c1', payload: { op: 'cycle' } });
    h.send({ task_id: 'p1', payload: { op: 'partialBigint' } });
    h.send({ task_id: 'u1', payload: { op: 'undefinedResult' } });
    h.send({ task_id: 'ok', payload: { op: 'stream' } });
    h.end();
    expect(await h.exited).toEqual({ code: 0, signal: null });
    expect(h.messages.find(isReply('b1'))).toMatchObject({
      result: null,
      error: { type: 'SerializationError', message: expect.stringContaining('BigInt') },
      retry: false,
    });
    expect(h.messages.find(isReply('c1'))).toMatchObject({ error: { type: 'SerializationError', message: expect.stringMatching(/circular/i) } });
    expect(h.messages.find(isReply('p1'))).toMatchObject({ result: 'SerializationError', error: null });
    expect(h.messages.find(isReply('u1'))).toEqual({ task_id: 'u1', result: null, error: null, retry: false });
    expect(h.messages.find(isReply('ok'))).toMatchObject({ result: 'done' });
    expect(h.garbage).toEqual([]);
  }, 10_000);

  it('skips non-JSON lines and lines without task_id with a warning on stderr', async () => {
    const h = startHandler('ops.mjs');
    h.send('this is not json');
    h.send('[1,2,3]');
    h.send('{"payload":{"op":"echo"}}');
    h.send('{"task_id":42,"payload":{"op":"echo"}}');
    h.send('');
    h.send({ task_id: 'good', payload: { op: 'stream' } });
    h.end();
    expect(await h.exited).toEqual({ code: 0, signal: null });
    expect(h.messages.filter((m) => 'result' in m).map((m) => m.task_id)).toEqual(['good']);
    const warnings = h.stderr().split('\n').filter((line) => line.startsWith('drover-handler: warning: skipping stdin line'));
    expect(warnings).toHaveLength(4);
    expect(warnings[0]).toContain('this is not json');
  }, 10_000);

  it('fails a task whose line is over maxLineBytes and keeps serving', async () => {
    const h = startHandler('ops.mjs', { env: { FIXTURE_MAX_LINE: '1024' } });
    h.send({ task_id: 'big', payload: { op: 'echo', text: 'x'.repeat(5000) } });
    h.send({ task_id: 'small', payload: { op: 'stream' } });
    h.send({ task_id: 'bigReply', payload: { op: 'big', n: 5000 } });
    h.end();
    expect(await h.exited).toEqual({ code: 0, signal: null });
    expect(h.messages.find(isReply('big'))).toMatchObject({
      result: null,
      error: { type: 'LineTooLongError', message: expect.stringContaining('maxLineBytes (1024)') },
      retry: false,
    });
    expect(h.messages.find(isReply('small'))).toMatchObject({ result: 'done' });
    expect(h.messages.find(isReply('bigReply'))).toMatchObject({
      result: null,
      error: { type: 'LineTooLongError', message: expect.stringMatching(/^reply of \d+ bytes is over maxLineBytes \(1024\)$/) },
    });
  }, 10_000);

  it.each([
    ['3', 'DROVER_PROTOCOL_FD=3 cannot be opened'], // fd 3 not passed by the parent: refused
    ['1', 'is not an fd number above 2'],
    ['fd3', 'is not an fd number above 2'],
  ])('falls back to stdout with a warning when DROVER_PROTOCOL_FD=%s is unusable', async (value, warning) => {
    const h = startHandler('once.mjs', { fd3: false, env: { DROVER_PROTOCOL_FD: value } });
    h.send({ task_id: 'one', payload: { x: 1 } });
    expect(await h.exited).toEqual({ code: 0, signal: null });
    expect(h.messages).toEqual([READY_1, { task_id: 'one', result: { result: 2 }, error: null, retry: false }]);
    expect(h.stderr()).toContain(`drover-handler: warning: ${value === '3' ? '' : `DROVER_PROTOCOL_FD="${value}" `}`);
    expect(h.stderr()).toContain(warning);
  }, 10_000);

  it('rejects a bad run() option as a load failure naming the option', async () => {
    const h = startHandler('ops.mjs', { args: ['0'] });
    expect((await h.exited).code).toBe(1);
    expect(h.messages).toEqual([{ status: 'error', error: 'run(): option "concurrency" must be a positive integer, got 0' }]);
  }, 10_000);

  it('answers progress for the right task when several run at once', async () => {
    const h = startHandler('ops.mjs', { args: ['2'] });
    h.send({ task_id: 'a', payload: { op: 'untilCancel' } });
    h.send({ task_id: 'b', payload: { op: 'untilCancel' } });
    await h.waitFor(isProgress('a', 'started'));
    await h.waitFor(isProgress('b', 'started'));
    h.send({ type: 'cancel', task_id: 'b' });
    await h.waitFor(isReply('b'));
    expect(h.messages.find(isReply('a'))).toBeUndefined();
    h.send({ type: 'cancel', task_id: 'a' });
    expect(await h.waitFor(isReply('a'))).toMatchObject({ result: { released: true } });
  }, 10_000);
});

describe('runOnce()', () => {
  it('serves one task and exits 0 without waiting for EOF', async () => {
    const h = startHandler('once.mjs');
    h.send({ task_id: 'one', payload: { x: 21 } });
    expect(await h.exited).toEqual({ code: 0, signal: null });
    expect(h.messages).toEqual([READY_1, { task_id: 'one', result: { result: 42 }, error: null, retry: false }]);
    expect(h.stderr()).toContain('doubling 21');
  }, 10_000);

  it('replies with the error of a failing task and still exits 0', async () => {
    const h = startHandler('once.mjs', { fd3: false });
    h.send({ task_id: 'bad', payload: {} });
    h.end();
    expect(await h.exited).toEqual({ code: 0, signal: null });
    expect(h.messages[1]).toMatchObject({ task_id: 'bad', error: { message: 'x must be a number' }, retry: false });
    expect(h.messages).toHaveLength(2);
  }, 10_000);

  it('exits 0 at EOF without a task', async () => {
    const h = startHandler('once.mjs');
    h.end();
    expect(await h.exited).toEqual({ code: 0, signal: null });
    expect(h.messages).toEqual([READY_1]);
  }, 10_000);
});
