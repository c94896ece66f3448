import type { FailureReason, TaskError } from '../queue/task.js';
import type { WireError } from './messages.js';

/** Normalise a handler's `error` (a string or `{message,type,stack}`) into a TaskError. */
export function toTaskError(error: WireError, reason: FailureReason = 'error'): TaskError {
  if (typeof error === 'string') return { message: error, reason };
  const out: TaskError = {
    message: typeof error.message === 'string' ? error.message : JSON.stringify(error),
    reason,
  };
  if (typeof error.type === 'string') out.type = error.type;
  if (typeof error.stack === 'string') out.stack = error.stack;
  return out;
}
