import type { TaskAttempt } from '../queue/task.js';
import type { TaskMessage } from './messages.js';

/** The line written to a handler's stdin for one attempt. */
export function toTaskMessage(attempt: TaskAttempt, startedAt: number): TaskMessage {
  const message: TaskMessage = {
    task_id: attempt.id,
    payload: attempt.payload,
    retry_count: attempt.retryCount,
    max_retry: attempt.maxRetry,
  };
  if (attempt.type !== undefined) message.type = attempt.type;
  if (attempt.queue !== undefined) message.queue = attempt.queue;
  if (attempt.timeoutMs) message.deadline_ms = startedAt + attempt.timeoutMs;
  if (attempt.meta !== undefined) message.meta = attempt.meta;
  return message;
}
