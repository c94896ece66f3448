/**
 * Protocol v1 messages as the handler sees them (docs/protocol.md): parsing of stdin lines and
 * encoding of the lines the handler writes. Pure functions: no I/O here.
 */
import { isRetryableError, SerializationError } from './errors.js';

/** Version of the handler protocol this SDK speaks, sent in the ready line. */
export const PROTOCOL_VERSION = 1;

/** What a task knows about itself (the context fields of its stdin line, in camelCase). */
export interface CurrentTask {
  readonly taskId: string;
  /** Task type / name (runqy's `type`). */
  readonly type: string | undefined;
  readonly queue: string | undefined;
  /** Attempts that already failed (runqy's `retry_count`); 0 when absent. */
  readonly retryCount: number;
  /** Retries allowed after the first attempt (runqy's `max_retry`); undefined when absent. */
  readonly maxRetry: number | undefined;
  /** Epoch milliseconds by which the attempt must finish (`deadline_ms`); undefined when absent. */
  readonly deadlineMs: number | undefined;
  /** Free-form metadata of the task (`meta`); `{}` when absent. */
  readonly meta: Readonly<Record<string, unknown>>;
}

/** One stdin line, classified. */
export type InboundMessage =
  | { kind: 'task'; task: CurrentTask; payload: unknown }
  | { kind: 'cancel'; taskId: string }
  | { kind: 'blank' }
  | { kind: 'invalid'; reason: string };

/** A task error on the wire. */
export interface WireError {
  message: string;
  type: string;
  stack?: string;
}

/** The outcome of one task, before encoding. */
export type TaskOutcome =
  | { ok: true; result: unknown }
  | { ok: false; error: unknown }
  | { ok: false; wire: WireError; retry: boolean };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function optionalNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function describeJsonError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Classifies one stdin line. `{"type":"cancel","task_id"}` without a `payload` is a cancel
 * request; any other object with a non-empty string `task_id` is a task.
 */
export function parseInbound(line: string): InboundMessage {
  if (line.trim() === '') return { kind: 'blank' };
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return { kind: 'invalid', reason: `not JSON (${describeJsonError(error)})` };
  }
  if (!isRecord(value)) return { kind: 'invalid', reason: 'not a JSON object' };
  const taskId = value.task_id;
  if (typeof taskId !== 'string' || taskId === '') {
    return { kind: 'invalid', reason: 'no string "task_id"' };
  }
  if (value.type === 'cancel' && !('payload' in value)) return { kind: 'cancel', taskId };
  const retryCount = optionalNumber(value.retry_count);
  const task: CurrentTask = Object.freeze({
    taskId,
    type: optionalString(value.type),
    queue: optionalString(value.queue),
    retryCount: retryCount !== undefined && retryCount >= 0 ? retryCount : 0,
    maxRetry: optionalNumber(value.max_retry),
    deadlineMs: optionalNumber(value.deadline_ms),
    meta: Object.freeze(isRecord(value.meta) ? { ...value.meta } : {}),
  });
  return { kind: 'task', task, payload: value.payload === undefined ? null : value.payload };
}

/** Best-effort task id of a line too long to parse, from its first bytes. */
export function sniffTaskId(prefix: string): string | undefined {
  const match = /"task_id"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(prefix);
  if (!match) return undefined;
  try {
    const id: unknown = JSON.parse(`"${match[1]}"`);
    return typeof id === 'string' && id !== '' ? id : undefined;
  } catch {
    return undefined;
  }
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return '[unprintable value]';
  }
}

/** Maps any thrown value to `{"message","type","stack"}`. */
export function toWireError(error: unknown): WireError {
  if (error instanceof Error) {
    const ctorName = typeof error.constructor === 'function' ? error.constructor.name : '';
    const type = error.name && error.name !== 'Error' ? error.name : ctorName || 'Error';
    const wire: WireError = { message: safeString(error.message), type: safeString(type) };
    if (typeof error.stack === 'string') wire.stack = error.stack;
    return wire;
  }
  return { message: safeString(error), type: error === null ? 'null' : typeof error };
}

function encodeOutcome(taskId: string, outcome: TaskOutcome): string {
  if (outcome.ok) {
    const result = outcome.result === undefined ? null : outcome.result;
    return JSON.stringify({ task_id: taskId, result, error: null, retry: false });
  }
  if ('wire' in outcome) {
    return JSON.stringify({ task_id: taskId, result: null, error: outcome.wire, retry: outcome.retry });
  }
  const wire = toWireError(outcome.error);
  if (isRetryableError(outcome.error)) {
    const reply: Record<string, unknown> = { task_id: taskId, result: null, error: wire, retry: true };
    if (outcome.error.retryAfterMs !== undefined) reply.retry_after_ms = outcome.error.retryAfterMs;
    return JSON.stringify(reply);
  }
  return JSON.stringify({ task_id: taskId, result: null, error: wire, retry: false });
}

/**
 * Encodes the reply line of a task. A result JSON cannot represent (BigInt, a cycle, a throwing
 * toJSON) becomes an error reply of type SerializationError instead of an exception.
 */
export function encodeReply(taskId: string, outcome: TaskOutcome): string {
  try {
    return encodeOutcome(taskId, outcome);
  } catch (cause) {
    const what = outcome.ok ? 'result' : 'error';
    const error = new SerializationError(`task ${what} is not JSON-serialisable: ${describeJsonError(cause)}`, { cause });
    return encodeOutcome(taskId, { ok: false, wire: toWireError(error), retry: false });
  }
}

/** `{"status":"ready","protocol":1,"concurrency":N}` */
export function encodeReady(concurrency: number): string {
  return JSON.stringify({ status: 'ready', protocol: PROTOCOL_VERSION, concurrency });
}

/** `{"status":"error","error":"…"}`: the load phase failed. */
export function encodeLoadError(message: string): string {
  return JSON.stringify({ status: 'error', error: message });
}

/** `{"type":"progress","task_id","progress","message"?}` */
export function encodeProgress(taskId: string, fraction: number, message: string | undefined): string {
  const line: Record<string, unknown> = { type: 'progress', task_id: taskId, progress: fraction };
  if (message !== undefined) line.message = message;
  return JSON.stringify(line);
}

/** `{"type":"partial","task_id","data"}`; throws SerializationError for data JSON cannot represent. */
export function encodePartial(taskId: string, data: unknown): string {
  try {
    return JSON.stringify({ type: 'partial', task_id: taskId, data: data === undefined ? null : data });
  } catch (cause) {
    throw new SerializationError(`partial() data is not JSON-serialisable: ${describeJsonError(cause)}`, { cause });
  }
}
