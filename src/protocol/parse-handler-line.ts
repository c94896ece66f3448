import type { TaskEvent } from '../queue/task.js';
import type {
  LoadErrorMessage,
  PartialMessage,
  ProgressMessage,
  ReadyMessage,
  ResultMessage,
  WireError,
} from './messages.js';

/** What one line from a handler's stdout (or protocol fd) turned out to be. */
export type HandlerLine =
  | { kind: 'ready'; message: ReadyMessage; concurrency: number }
  | { kind: 'load_error'; message: LoadErrorMessage }
  | { kind: 'result'; message: ResultMessage }
  | { kind: 'progress'; message: ProgressMessage }
  | { kind: 'partial'; message: PartialMessage }
  /** Not a protocol message: a stray print. Logged and counted, never fatal. */
  | { kind: 'stray'; text: string; why: string }
  /** Looks like a protocol message but is malformed; `taskId` is set when one could be read. */
  | { kind: 'invalid'; text: string; why: string; taskId?: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isWireError(value: unknown): value is WireError {
  return typeof value === 'string' || isObject(value);
}

/** Classify one line (without its newline). Never throws. */
export function parseHandlerLine(text: string): HandlerLine {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed[0] !== '{') return { kind: 'stray', text, why: 'not a JSON object' };
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return { kind: 'stray', text, why: 'invalid JSON' };
  }
  if (!isObject(value)) return { kind: 'stray', text, why: 'not a JSON object' };

  if (value.status === 'ready') {
    const c = value.concurrency;
    if (c !== undefined && !(Number.isInteger(c) && (c as number) >= 1)) {
      return { kind: 'invalid', text, why: `ready line has an invalid concurrency ${JSON.stringify(c)} (want an integer >= 1)` };
    }
    return { kind: 'ready', message: value as unknown as ReadyMessage, concurrency: (c as number | undefined) ?? 1 };
  }
  if (value.status === 'error' && value.task_id === undefined) {
    const error = typeof value.error === 'string' ? value.error : JSON.stringify(value.error ?? 'load failed');
    return { kind: 'load_error', message: { status: 'error', error } };
  }

  const taskId = value.task_id;
  if (value.type === 'progress' || value.type === 'partial') {
    if (typeof taskId !== 'string') return { kind: 'invalid', text, why: `${value.type} message without a string task_id` };
    if (value.type === 'progress') {
      const p = value.progress;
      if (typeof p !== 'number' || !Number.isFinite(p)) {
        return { kind: 'invalid', text, why: 'progress message needs a numeric "progress"', taskId };
      }
      return { kind: 'progress', message: { ...(value as unknown as ProgressMessage), progress: Math.min(1, Math.max(0, p)) } };
    }
    return { kind: 'partial', message: value as unknown as PartialMessage };
  }

  if (typeof taskId === 'string') {
    if (value.error !== undefined && value.error !== null && !isWireError(value.error)) {
      return { kind: 'invalid', text, why: '"error" must be null, a string or an object', taskId };
    }
    if (value.retry !== undefined && typeof value.retry !== 'boolean') {
      return { kind: 'invalid', text, why: '"retry" must be a boolean', taskId };
    }
    const after = value.retry_after_ms;
    if (after !== undefined && after !== null && !(typeof after === 'number' && Number.isFinite(after) && after >= 0)) {
      return { kind: 'invalid', text, why: '"retry_after_ms" must be a number >= 0', taskId };
    }
    return { kind: 'result', message: value as unknown as ResultMessage };
  }
  if (taskId !== undefined) return { kind: 'stray', text, why: `"task_id" must be a string, got ${JSON.stringify(taskId)}` };
  return { kind: 'stray', text, why: 'JSON object without task_id or status' };
}

/** A progress or partial line as the event the supervisor passes on. */
export function toTaskEvent(line: Extract<HandlerLine, { kind: 'progress' | 'partial' }>): TaskEvent {
  if (line.kind === 'partial') return { type: 'partial', taskId: line.message.task_id, data: line.message.data };
  const event: TaskEvent = { type: 'progress', taskId: line.message.task_id, progress: line.message.progress };
  if (typeof line.message.message === 'string') event.message = line.message.message;
  return event;
}
