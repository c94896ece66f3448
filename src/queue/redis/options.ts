/**
 * Per-task and per-queue options of the Redis backend: interfaces, defaults, normalizers.
 * Every normalizer throws a DroverError INVALID_OPTION naming the option and the bad value.
 */
import { DroverError } from '../../errors.js';
import { type BackoffOptions, DEFAULT_BACKOFF, normalizeBackoff } from '../backoff.js';
import { showValue } from '../show-value.js';

export { type BackoffOptions, DEFAULT_BACKOFF, normalizeBackoff };

/** Lowest and highest task priority (higher runs first). Injected into the Lua scripts. */
export const PRIORITY_MIN = -1000;
export const PRIORITY_MAX = 1000;

/** Options of one task. Unset fields fall back to the queue defaults, then to built-ins. */
export interface EnqueueOptions {
  /** Integer in [-1000, 1000]; higher runs first, FIFO within a priority. @defaultValue 0 */
  priority?: number;
  /** Run no earlier than now + delayMs (Redis server time). @defaultValue 0 */
  delayMs?: number;
  /** Run no earlier than this epoch ms (compared with Redis server time). Wins over delayMs. */
  runAt?: number;
  /** Retries after the first attempt. @defaultValue queue default, else 3 */
  maxRetries?: number;
  /** @defaultValue queue default, else {@link DEFAULT_BACKOFF} */
  backoff?: BackoffOptions;
  /** Attempt timeout enforced by the supervisor; 0 = none. @defaultValue queue default, else 0 */
  timeoutMs?: number;
  /** Same key -> same task id while the task is kept; released on cancel, delete and expiry. */
  idempotencyKey?: string;
  /** How long a completed (or cancelled) task and its result are kept. @defaultValue queue default, else 24 h */
  resultTtlMs?: number;
  /** Task type / name, passed to the handler. */
  type?: string;
  /** Free-form JSON object passed to the handler. */
  meta?: Record<string, unknown>;
  /** Caller-chosen id suffix: the task id becomes `<queue>:<id>`; an existing id is not overwritten. */
  id?: string;
}

export interface NormalizedEnqueueOptions {
  priority: number;
  delayMs: number;
  runAt?: number;
  maxRetries?: number;
  backoff?: Required<BackoffOptions>;
  timeoutMs?: number;
  idempotencyKey?: string;
  resultTtlMs?: number;
  type?: string;
  meta?: Record<string, unknown>;
  id?: string;
}

export const DEFAULT_ENQUEUE_OPTIONS: Readonly<{ priority: number; delayMs: number }> = {
  priority: 0,
  delayMs: 0,
};

/** Per-queue defaults stored in Redis (`setQueueDefaults`). */
export interface QueueDefaults {
  /** @defaultValue 3 */
  maxRetries?: number;
  /** 0 = no timeout. @defaultValue 0 */
  timeoutMs?: number;
  /** @defaultValue {@link DEFAULT_BACKOFF} */
  backoff?: BackoffOptions;
  /** Completed and cancelled tasks are kept this long. @defaultValue 86400000 (24 h) */
  resultTtlMs?: number;
  /** Failed (dead) tasks are kept this long. @defaultValue 604800000 (7 days) */
  failedTtlMs?: number;
  /** At most this many completed (and, separately, cancelled) tasks are kept. @defaultValue 1000 */
  keepCompleted?: number;
  /** At most this many failed (dead) tasks are kept. @defaultValue 10000 */
  keepFailed?: number;
  /** Approximate maximum length of a task's event stream. @defaultValue 1000 */
  eventsMaxLen?: number;
}

export const DEFAULT_QUEUE_DEFAULTS: Readonly<
  Required<Omit<QueueDefaults, 'backoff'>> & { backoff: Readonly<Required<BackoffOptions>> }
> = {
  maxRetries: 3,
  timeoutMs: 0,
  backoff: DEFAULT_BACKOFF,
  resultTtlMs: 24 * 3600_000,
  failedTtlMs: 7 * 24 * 3600_000,
  keepCompleted: 1000,
  keepFailed: 10_000,
  eventsMaxLen: 1000,
};

function invalid(option: string, expected: string, value: unknown): DroverError {
  return new DroverError('INVALID_OPTION', `${option}: expected ${expected}, got ${showValue(value)}`);
}

function int(option: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(option, `an integer in [${min}, ${max}]`, value);
  }
  return value;
}

function str(option: string, value: unknown, maxLength: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    throw invalid(option, `a non-empty string of at most ${maxLength} characters`, value);
  }
  return value;
}

/** Every option name of EnqueueOptions: anything else is refused (a typo such as `timeout` would be ignored silently). */
const ENQUEUE_OPTION_NAMES: ReadonlySet<string> = new Set<keyof EnqueueOptions>([
  'priority', 'delayMs', 'runAt', 'maxRetries', 'backoff', 'timeoutMs', 'idempotencyKey', 'resultTtlMs', 'type', 'meta', 'id',
]);

export function normalizeEnqueueOptions(value: unknown): NormalizedEnqueueOptions {
  if (value === undefined) return { ...DEFAULT_ENQUEUE_OPTIONS };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid('options', 'an object', value);
  }
  for (const name of Object.keys(value)) {
    if (!ENQUEUE_OPTION_NAMES.has(name)) {
      throw new DroverError('INVALID_OPTION', `options: unknown option ${JSON.stringify(name)} (expected one of ${[...ENQUEUE_OPTION_NAMES].join(', ')})`);
    }
  }
  const o = value as EnqueueOptions;
  const out: NormalizedEnqueueOptions = {
    priority: int('priority', o.priority ?? DEFAULT_ENQUEUE_OPTIONS.priority, PRIORITY_MIN, PRIORITY_MAX),
    delayMs: int('delayMs', o.delayMs ?? DEFAULT_ENQUEUE_OPTIONS.delayMs, 0),
  };
  if (o.runAt !== undefined) out.runAt = int('runAt', o.runAt, 0);
  if (o.maxRetries !== undefined) out.maxRetries = int('maxRetries', o.maxRetries, 0, 1_000_000);
  if (o.backoff !== undefined) out.backoff = normalizeBackoff(o.backoff);
  if (o.timeoutMs !== undefined) out.timeoutMs = int('timeoutMs', o.timeoutMs, 0);
  if (o.idempotencyKey !== undefined) out.idempotencyKey = str('idempotencyKey', o.idempotencyKey, 512);
  if (o.resultTtlMs !== undefined) out.resultTtlMs = int('resultTtlMs', o.resultTtlMs, 1);
  if (o.type !== undefined) out.type = str('type', o.type, 256);
  if (o.id !== undefined) out.id = str('id', o.id, 256);
  if (o.meta !== undefined) {
    if (typeof o.meta !== 'object' || o.meta === null || Array.isArray(o.meta)) {
      throw invalid('meta', 'a plain object', o.meta);
    }
    out.meta = o.meta;
  }
  return out;
}

export type NormalizedQueueDefaults = Omit<QueueDefaults, 'backoff'> & { backoff?: Required<BackoffOptions> };

/** Validates a partial set of queue defaults (only the given fields are stored). */
export function normalizeQueueDefaults(value: unknown): NormalizedQueueDefaults {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid('defaults', 'an object', value);
  }
  const d = value as QueueDefaults;
  const out: NormalizedQueueDefaults = {};
  if (d.maxRetries !== undefined) out.maxRetries = int('maxRetries', d.maxRetries, 0, 1_000_000);
  if (d.timeoutMs !== undefined) out.timeoutMs = int('timeoutMs', d.timeoutMs, 0);
  if (d.backoff !== undefined) out.backoff = normalizeBackoff(d.backoff);
  if (d.resultTtlMs !== undefined) out.resultTtlMs = int('resultTtlMs', d.resultTtlMs, 1);
  if (d.failedTtlMs !== undefined) out.failedTtlMs = int('failedTtlMs', d.failedTtlMs, 1);
  if (d.keepCompleted !== undefined) out.keepCompleted = int('keepCompleted', d.keepCompleted, 0);
  if (d.keepFailed !== undefined) out.keepFailed = int('keepFailed', d.keepFailed, 0);
  if (d.eventsMaxLen !== undefined) out.eventsMaxLen = int('eventsMaxLen', d.eventsMaxLen, 1);
  return out;
}

/**
 * Largest payload a client enqueues, in bytes of its JSON text (UTF-8): 16 MiB. Redis would take
 * up to 512 MB, but every byte is held in Redis memory and written to a handler's stdin as one
 * line (the Node SDK reads lines of at most 64 MiB); big inputs belong in object storage, with
 * their URL in the payload. Raise it per client with `maxPayloadBytes` (CLI: --max-payload-bytes).
 */
export const DEFAULT_MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;

export function normalizeMaxPayloadBytes(value: unknown): number {
  return value === undefined ? DEFAULT_MAX_PAYLOAD_BYTES : int('maxPayloadBytes', value, 1);
}

/** Checks a positive millisecond duration argument (leaseMs, ttlMs, timeouts). */
export function positiveMs(option: string, value: unknown): number {
  return int(option, value, 1);
}

export function nonNegativeMs(option: string, value: unknown): number {
  return int(option, value, 0);
}

/** Checks a count that may be 0 (idleSlots). */
export function nonNegativeCount(option: string, value: unknown): number {
  return int(option, value, 0);
}

/** Longest claim request id. Injected into the Lua scripts. */
export const REQUEST_ID_MAX_LENGTH = 128;
/** Characters of a claim request id (no whitespace, no braces; fits inside a key name). */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9_.:@+/=-]+$/;

/**
 * Checks a claim request id (`requestId` of claim and of complete's claimNext): 1-128
 * characters of [A-Za-z0-9_.:@+/=-]. Lua checks the same rule again (claim-core.lua).
 */
export function requestId(value: unknown): string {
  if (typeof value !== 'string' || value.length > REQUEST_ID_MAX_LENGTH || !REQUEST_ID_PATTERN.test(value)) {
    throw invalid('requestId', `1-${REQUEST_ID_MAX_LENGTH} characters of [A-Za-z0-9_.:@+/=-]`, value);
  }
  return value;
}
