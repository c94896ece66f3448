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

/**
 * The task message as one JSON line (newline included). A payload already held as JSON text
 * (`payloadJson`) is spliced in verbatim: no parse and re-serialise per task.
 */
export function taskLine(attempt: TaskAttempt, startedAt: number): string {
  const message = toTaskMessage(attempt, startedAt);
  if (attempt.payloadJson === undefined) return `${JSON.stringify(message)}\n`;
  // Keys set to undefined are left out; retry_count is always there, so the rest is never empty.
  const rest = JSON.stringify({ ...message, task_id: undefined, payload: undefined });
  return `{"task_id":${JSON.stringify(message.task_id)},"payload":${attempt.payloadJson},${rest.slice(1)}\n`;
}
