import { describe, expect, it } from 'vitest';
import { CancelledError } from '../../../sdk/node/errors.js';
import { TaskCancel } from '../../../sdk/node/task-cancel.js';

describe('TaskCancel', () => {
  it('a signal read before the cancel aborts with the CancelledError', () => {
    const cancel = new TaskCancel();
    const signal = cancel.signal;
    const seen: unknown[] = [];
    signal.addEventListener('abort', () => seen.push(signal.reason));
    expect(cancel.aborted).toBe(false);
    const reason = new CancelledError();
    cancel.abort(reason);
    expect(cancel.aborted).toBe(true);
    expect(signal.aborted).toBe(true);
    expect(seen).toEqual([reason]);
    expect(cancel.signal).toBe(signal); // one signal per task
  });

  it('a signal first read after the cancel is already aborted, with the same reason', () => {
    const cancel = new TaskCancel();
    const reason = new CancelledError();
    cancel.abort(reason);
    expect(cancel.signal.aborted).toBe(true);
    expect(cancel.signal.reason).toBe(reason);
    expect(() => cancel.signal.throwIfAborted()).toThrow(CancelledError);
  });

  it('the first cancel wins', () => {
    const cancel = new TaskCancel();
    const first = new CancelledError('first');
    cancel.abort(first);
    cancel.abort(new CancelledError('second'));
    expect(cancel.signal.reason).toBe(first);
  });
});
