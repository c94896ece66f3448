import { describe, expect, it } from 'vitest';
import { taskLine, toTaskMessage } from '../../../src/protocol/task-message.js';
import type { TaskAttempt } from '../../../src/queue/task.js';

const attempt: TaskAttempt = { id: 'q:1', payload: { text: 'héllo "x"', n: [1, 2.5] }, retryCount: 1, maxRetry: 3, type: 't', queue: 'q', timeoutMs: 1000, meta: { a: 1 } };

describe('taskLine', () => {
  it('serialises the task message as one line when no payload JSON is held', () => {
    const line = taskLine(attempt, 5000);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.indexOf('\n')).toBe(line.length - 1);
    expect(JSON.parse(line)).toEqual(toTaskMessage(attempt, 5000));
  });

  it('splices held payload JSON verbatim and gives the same message', () => {
    const payloadJson = JSON.stringify(attempt.payload);
    const line = taskLine({ ...attempt, payloadJson }, 5000);
    expect(line).toContain(`"payload":${payloadJson},`);
    expect(JSON.parse(line)).toEqual({ ...toTaskMessage(attempt, 5000), deadline_ms: 6000 });
    expect(Object.keys(JSON.parse(line) as object).slice(0, 2)).toEqual(['task_id', 'payload']);
  });

  it('keeps the shortest message valid (no optional fields, a null payload)', () => {
    const line = taskLine({ id: 'q:2', payload: null, payloadJson: 'null', retryCount: 0, maxRetry: 0 }, 0);
    expect(JSON.parse(line)).toEqual({ task_id: 'q:2', payload: null, retry_count: 0, max_retry: 0 });
  });

  it('does not read the payload when its JSON is held (no parse per task)', () => {
    const held = { id: 'q:3', payloadJson: '{"big":[1,2,3]}', retryCount: 0, maxRetry: 1 } as TaskAttempt;
    Object.defineProperty(held, 'payload', {
      get: () => {
        throw new Error('payload was parsed');
      },
    });
    expect(JSON.parse(taskLine(held, 0))).toEqual({ task_id: 'q:3', payload: { big: [1, 2, 3] }, retry_count: 0, max_retry: 1 });
  });
});
