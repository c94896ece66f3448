import { describe, expect, it } from 'vitest';
import { parseClaimRow, parseInboxRow } from '../../../src/queue/redis/claimed-task.js';

// Numbers of a claim row: retryCount maxRetry timeoutMs token leaseExpiresAt enqueuedAt startedAt attempts.
const NUMBERS = '1 3 5000 42 1764200030000 1764199990000 1764200000000 2';

describe('claimed task rows', () => {
  it('reads a claim row of 3 values: no type, no meta', () => {
    const task = parseClaimRow('q', ['q:a1', NUMBERS, '{"x":1}']);
    expect(task).toMatchObject({
      id: 'q:a1',
      queue: 'q',
      payloadJson: '{"x":1}',
      payload: { x: 1 },
      retryCount: 1,
      maxRetry: 3,
      timeoutMs: 5000,
      deadlineMs: 1764200005000,
      token: 42,
      leaseExpiresAt: 1764200030000,
      enqueuedAt: 1764199990000,
      startedAt: 1764200000000,
      attempts: 2,
    });
    expect(task.type).toBeUndefined();
    expect(task.meta).toBeUndefined();
  });

  it('reads a claim row of 5 values: type and meta (an empty type stays unset)', () => {
    expect(parseClaimRow('q', ['q:a2', NUMBERS, 'null', 'resize', '{"user":7}'])).toMatchObject({ type: 'resize', meta: { user: 7 }, payload: null });
    const untyped = parseClaimRow('q', ['q:a3', '0 0 0 1 2 3 4 1', '1', '', '{"k":"v"}']);
    expect(untyped.type).toBeUndefined();
    expect(untyped.timeoutMs).toBeUndefined();
    expect(untyped.meta).toEqual({ k: 'v' });
  });

  it('refuses a row of another shape, naming it', () => {
    expect(() => parseClaimRow('q', ['q:a4', NUMBERS])).toThrow(/a claimed task of 3 or 5 values/);
    expect(() => parseClaimRow('q', ['q:a5', '1 2 3', '{}'])).toThrow(/8 numbers in a claimed task \("1 2 3"\)/);
    expect(() => parseClaimRow('q', ['q:a6', '1 2 3 x 5 6 7 8', '{}'])).toThrow(/claimed task number/);
  });

  it('reads the inbox row an enqueue hands over (12 values, the form of every version)', () => {
    const row = ['q:b1', '{"y":2}', 'kind', '0', '3', '0', '', 7, '1764200030000', '1764200000000', '1764200000000', 1];
    expect(parseInboxRow('q', row)).toMatchObject({ id: 'q:b1', payload: { y: 2 }, type: 'kind', maxRetry: 3, token: 7, attempts: 1 });
    expect(parseInboxRow('q', row).timeoutMs).toBeUndefined();
    expect(() => parseInboxRow('q', row.slice(0, 11))).toThrow(/an inbox row of 12 values/);
  });
});
