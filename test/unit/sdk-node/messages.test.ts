import { describe, expect, it } from 'vitest';
import { RetryableError } from '../../../sdk/node/errors.js';
import { encodePartial, encodeReply, parseInbound, sniffTaskId, toWireError } from '../../../sdk/node/messages.js';
import { DEFAULT_RUN_OPTIONS, normalizeRunOptions } from '../../../sdk/node/options.js';

describe('handler SDK messages', () => {
  it('classifies stdin lines: task, cancel, blank, invalid', () => {
    expect(parseInbound('{"task_id":"t","payload":{"a":1},"type":"cancel"}')).toMatchObject({
      kind: 'task',
      task: { taskId: 't', type: 'cancel' },
      payload: { a: 1 },
    });
    expect(parseInbound('{"type":"cancel","task_id":"t"}')).toEqual({ kind: 'cancel', taskId: 't' });
    expect(parseInbound('  ')).toEqual({ kind: 'blank' });
    expect(parseInbound('nope')).toMatchObject({ kind: 'invalid', reason: expect.stringContaining('not JSON') });
    expect(parseInbound('"str"')).toEqual({ kind: 'invalid', reason: 'not a JSON object' });
    expect(parseInbound('{"task_id":""}')).toEqual({ kind: 'invalid', reason: 'no string "task_id"' });
    expect(parseInbound('{"task_id":"t","retry_count":-1,"max_retry":"3","meta":[1]}')).toMatchObject({
      kind: 'task',
      task: { retryCount: 0, maxRetry: undefined, meta: {} },
      payload: null,
    });
  }, 2_000);

  it('encodes replies, typed errors and retry requests', () => {
    expect(JSON.parse(encodeReply('t', { ok: true, result: undefined }))).toEqual({ task_id: 't', result: null, error: null, retry: false });
    const retry = JSON.parse(encodeReply('t', { ok: false, error: new RetryableError('slow down', { retryAfterMs: 1234.4 }) }));
    expect(retry).toMatchObject({ retry: true, retry_after_ms: 1234, error: { type: 'RetryableError' } });
    expect(() => new RetryableError('x', { retryAfterMs: -1 })).toThrow(/retryAfterMs/);
    class ParseError extends Error {}
    expect(toWireError(new ParseError('p'))).toMatchObject({ type: 'ParseError', message: 'p' });
    expect(toWireError(null)).toEqual({ message: 'null', type: 'null' });
    const bigint = JSON.parse(encodeReply('t', { ok: true, result: [1n] }));
    expect(bigint).toMatchObject({ result: null, retry: false, error: { type: 'SerializationError' } });
    expect(() => encodePartial('t', { n: 1n })).toThrow(expect.objectContaining({ name: 'SerializationError' }));
  }, 2_000);

  it('finds the task_id at the start of an over-long line', () => {
    expect(sniffTaskId('{"payload":"x","task_id" : "a\\"b"')).toBe('a"b');
    expect(sniffTaskId('{"payload":"xxxxxxxx')).toBeUndefined();
  }, 2_000);

  it('normalizes run options and names a bad one', () => {
    expect(normalizeRunOptions(undefined)).toEqual(DEFAULT_RUN_OPTIONS);
    expect(normalizeRunOptions({ concurrency: 4 })).toEqual({ ...DEFAULT_RUN_OPTIONS, concurrency: 4 });
    expect(() => normalizeRunOptions({ concurrency: 1.5 })).toThrow('run(): option "concurrency" must be a positive integer, got 1.5');
    expect(() => normalizeRunOptions({ maxLineBytes: '9' as unknown as number }, 'runOnce()')).toThrow(
      'runOnce(): option "maxLineBytes" must be a positive integer, got "9"',
    );
  }, 2_000);
});
