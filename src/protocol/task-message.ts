import type { TaskAttempt } from '../queue/task.js';
import type { TaskMessage } from './messages.js';

/** Every field of the task message but `task_id` and `payload`. */
function messageFields(attempt: TaskAttempt, startedAt: number): Omit<TaskMessage, 'task_id' | 'payload'> {
  const fields: Omit<TaskMessage, 'task_id' | 'payload'> = { retry_count: attempt.retryCount, max_retry: attempt.maxRetry };
  if (attempt.type !== undefined) fields.type = attempt.type;
  if (attempt.queue !== undefined) fields.queue = attempt.queue;
  if (attempt.timeoutMs) fields.deadline_ms = startedAt + attempt.timeoutMs;
  if (attempt.meta !== undefined) fields.meta = attempt.meta;
  return fields;
}

/** The line written to a handler's stdin for one attempt. */
export function toTaskMessage(attempt: TaskAttempt, startedAt: number): TaskMessage {
  return { task_id: attempt.id, payload: attempt.payload, ...messageFields(attempt, startedAt) };
}

/**
 * The task message as one JSON line (newline included). A payload already held as JSON text
 * (`payloadJson`) is spliced in verbatim, and `payload` is not read: no parse and re-serialise
 * per task. The rest is concatenated in the order of `messageFields`, without a fields object.
 */
export function taskLine(attempt: TaskAttempt, startedAt: number): string {
  if (attempt.payloadJson === undefined) return `${JSON.stringify(toTaskMessage(attempt, startedAt))}\n`;
  let line = `{"task_id":${JSON.stringify(attempt.id)},"payload":${attempt.payloadJson},"retry_count":${jsonNumber(attempt.retryCount)},"max_retry":${jsonNumber(attempt.maxRetry)}`;
  if (attempt.type !== undefined) line += `,"type":${JSON.stringify(attempt.type)}`;
  if (attempt.queue !== undefined) line += `,"queue":${JSON.stringify(attempt.queue)}`;
  if (attempt.timeoutMs) line += `,"deadline_ms":${jsonNumber(startedAt + attempt.timeoutMs)}`;
  if (attempt.meta !== undefined) line += `,"meta":${JSON.stringify(attempt.meta)}`;
  return `${line}}\n`;
}

/** A number as JSON.stringify writes it (null when not finite). */
function jsonNumber(n: number): string {
  return Number.isFinite(n) ? `${n}` : 'null';
}
