import { describe, expect, it } from 'vitest';
import { formatFinalLine, formatProgressBar, formatUpdateLine } from '../../../src/cli/follow-output.js';
import type { TaskInfo } from '../../../src/queue/redis/task-info.js';

const TASK = { id: 'q:1', queue: 'q', payload: null, attempts: 1, retryCount: 0, maxRetry: 0, cancelRequested: false, enqueuedAt: 0 } as unknown as TaskInfo;

describe('get --follow output', () => {
  it('the progress bar: filled in proportion, whole percent, clamped, cut to the terminal width', () => {
    expect(formatProgressBar(0, 'start', 80)).toBe('[                        ]   0%  start');
    expect(formatProgressBar(0.5, undefined, 80)).toBe('[===========>            ]  50%');
    expect(formatProgressBar(1, 'done', 80)).toBe('[========================] 100%  done');
    expect(formatProgressBar(1.7, undefined, 80)).toBe(formatProgressBar(1, undefined, 80));
    expect(formatProgressBar(Number.NaN, undefined, 80)).toBe(formatProgressBar(0, undefined, 80));
    expect(formatProgressBar(0.5, 'a long message', 20)).toHaveLength(19);
  });

  it('plain lines: progress as a percentage and message, partial and result as compact JSON, the error with its reason', () => {
    expect(formatUpdateLine({ type: 'progress', taskId: 'q:1', progress: 0.333, message: 'rows' })).toBe('progress  33%  rows');
    expect(formatUpdateLine({ type: 'progress', taskId: 'q:1', progress: 1 })).toBe('progress  100%');
    expect(formatUpdateLine({ type: 'partial', taskId: 'q:1', data: { token: 'a b' } })).toBe('partial  {"token":"a b"}');
    expect(formatFinalLine({ ...TASK, state: 'completed', result: [1, 2] })).toBe('completed  [1,2]');
    expect(formatFinalLine({ ...TASK, state: 'completed' })).toBe('completed  null');
    expect(formatFinalLine({ ...TASK, state: 'failed', error: { message: 'boom', type: 'ValueError', reason: 'error' } })).toBe('failed  [error] ValueError: boom');
    expect(formatFinalLine({ ...TASK, state: 'failed', error: { message: 'took too long', reason: 'timeout' } })).toBe('failed  [timeout] took too long');
  });
});
