/** The public view of a stored task (`get`, `wait`, `listDead`) and its parser. */
import { FAILURE_REASONS, type FailureReason, type TaskError, type TaskState } from '../task.js';
import { DEFAULT_QUEUE_DEFAULTS, type BackoffOptions } from './options.js';
import { queueOfTaskId } from './keys.js';
import { parseJson } from './reply.js';

export const TERMINAL_STATES: readonly TaskState[] = ['completed', 'failed', 'cancelled'];
const STATES: readonly TaskState[] = ['pending', 'scheduled', 'active', ...TERMINAL_STATES];

export function isTerminal(state: TaskState): boolean {
  return TERMINAL_STATES.includes(state);
}

/** The options a task runs with (per-task values resolved against queue defaults at enqueue). */
export interface TaskOptionsInfo {
  priority: number;
  maxRetries: number;
  /** 0 = no timeout. */
  timeoutMs: number;
  backoff: Required<BackoffOptions>;
  /** Set only when given per task; otherwise the queue default applies at completion. */
  resultTtlMs?: number;
  idempotencyKey?: string;
  meta?: Record<string, unknown>;
}

export interface TaskInfo {
  id: string;
  queue: string;
  state: TaskState;
  type?: string;
  payload: unknown;
  /** Present once completed. */
  result?: unknown;
  /** The last failed attempt's error (kept while retrying, cleared on completion). */
  error?: TaskError;
  /** Attempts started (a requeue on shutdown does not count). */
  attempts: number;
  /** Attempts failed so far (runqy's retry_count). */
  retryCount: number;
  maxRetry: number;
  progress?: { progress: number; message?: string };
  /** The last partial output. */
  partial?: unknown;
  cancelRequested: boolean;
  /** Supervisor holding the lease while active. */
  owner?: string;
  /** Fencing token of the latest claim. */
  token?: number;
  /** All times are epoch ms of the Redis server clock. */
  enqueuedAt: number;
  runAt?: number;
  startedAt?: number;
  finishedAt?: number;
  leaseExpiresAt?: number;
  /** When a finished task (and its result) is deleted. */
  expiresAt?: number;
  options: TaskOptionsInfo;
}

type NumericField = 'token' | 'runAt' | 'startedAt' | 'finishedAt' | 'leaseExpiresAt' | 'expiresAt';

function num(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  return Number.isFinite(n) ? n : undefined;
}

function parseError(raw: string | undefined, reasonField: string | undefined): TaskError | undefined {
  if (raw === undefined || raw === '') return undefined;
  const parsed = parseJson(raw);
  const fallbackReason: FailureReason = FAILURE_REASONS.includes(reasonField as FailureReason)
    ? (reasonField as FailureReason)
    : 'error';
  if (typeof parsed !== 'object' || parsed === null) return { message: String(parsed), reason: fallbackReason };
  const e = parsed as Record<string, unknown>;
  const out: TaskError = {
    message: typeof e.message === 'string' ? e.message : JSON.stringify(parsed),
    reason: FAILURE_REASONS.includes(e.reason as FailureReason) ? (e.reason as FailureReason) : fallbackReason,
  };
  if (typeof e.type === 'string') out.type = e.type;
  if (typeof e.stack === 'string') out.stack = e.stack;
  return out;
}

function parseMeta(raw: string | undefined): Record<string, unknown> | undefined {
  const meta = parseJson(raw);
  return typeof meta === 'object' && meta !== null && !Array.isArray(meta)
    ? (meta as Record<string, unknown>)
    : undefined;
}

/**
 * HGETALL of a task hash -> TaskInfo; null for an empty (missing) hash. Fields at their default
 * are not stored (see enqueue-core.lua): the id and queue come from the key, no backoff is the
 * built-in one.
 */
export function parseTaskInfo(id: string, h: Record<string, string>): TaskInfo | null {
  if (!h.state || !STATES.includes(h.state as TaskState)) return null;
  const info: TaskInfo = {
    id,
    queue: queueOfTaskId(id) ?? '',
    state: h.state as TaskState,
    payload: parseJson(h.payload) ?? null,
    attempts: num(h.attempts) ?? 0,
    retryCount: num(h.retryCount) ?? 0,
    maxRetry: num(h.maxRetry) ?? 0,
    cancelRequested: h.cancelRequested === '1',
    enqueuedAt: num(h.enqueuedAt) ?? 0,
    options: {
      priority: num(h.priority) ?? 0,
      maxRetries: num(h.maxRetry) ?? 0,
      timeoutMs: num(h.timeoutMs) ?? 0,
      backoff:
        h.bType === undefined
          ? { ...DEFAULT_QUEUE_DEFAULTS.backoff }
          : { type: h.bType === 'fixed' ? 'fixed' : 'exponential', baseMs: num(h.bBase) ?? 0, maxMs: num(h.bMax) ?? 0, jitter: h.bJitter === '1' },
    },
  };
  if (h.type) info.type = h.type;
  if (h.result !== undefined) info.result = parseJson(h.result) ?? null;
  const error = parseError(h.error, h.reason);
  if (error) info.error = error;
  const progress = num(h.progress);
  if (progress !== undefined) {
    info.progress = h.progressMsg ? { progress, message: h.progressMsg } : { progress };
  }
  if (h.partial !== undefined) info.partial = parseJson(h.partial) ?? null;
  // A finished task keeps its last owner and lease in the hash (not deleted on the hot path).
  const active = h.state === 'active';
  if (h.owner && active) info.owner = h.owner;
  const optional: [NumericField, string | undefined][] = [
    ['token', h.token],
    ['runAt', h.runAt ?? h.enqueuedAt], // not stored when it is the enqueue time
    ['startedAt', h.startedAt],
    ['finishedAt', h.finishedAt],
    ['leaseExpiresAt', active ? h.leaseUntil : undefined],
    ['expiresAt', h.expiresAt],
  ];
  for (const [field, raw] of optional) {
    const value = num(raw);
    if (value !== undefined) info[field] = value;
  }
  const resultTtlMs = num(h.resultTtlMs);
  if (resultTtlMs !== undefined) info.options.resultTtlMs = resultTtlMs;
  if (h.idem) info.options.idempotencyKey = h.idem;
  const meta = parseMeta(h.meta);
  if (meta) info.options.meta = meta;
  return info;
}
