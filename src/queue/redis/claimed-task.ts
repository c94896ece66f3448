/** A task leased to a supervisor by `claim` (or by `complete` with claimNext). */
import type { TaskAttempt } from '../task.js';
import { asArray, asNumber, asString, parseJson, unexpectedReply } from './reply.js';

export interface ClaimedTask extends TaskAttempt {
  queue: string;
  /** Fencing token: increases per claim (per queue); stale tokens are rejected. */
  token: number;
  /** Lease expiry, epoch ms of the Redis server clock (informational: the server decides). */
  leaseExpiresAt: number;
  enqueuedAt: number;
  /** startedAt + timeoutMs when the task has a timeout (epoch ms, Redis server clock). */
  deadlineMs?: number;
  /** When this attempt started (epoch ms, Redis server clock). */
  startedAt: number;
  /** Attempts started, this one included. */
  attempts: number;
}

/** The values of a claimed task, as strings (numbers as decimal text), in one place for both row forms. */
interface ClaimValues {
  id: string;
  payloadJson: string;
  type: string;
  meta: string;
  retryCount: number;
  maxRetry: number;
  timeoutMs: number;
  token: number;
  leaseExpiresAt: number;
  enqueuedAt: number;
  startedAt: number;
  attempts: number;
}

function toClaimedTask(queue: string, v: ClaimValues): ClaimedTask {
  let payload: { value: unknown } | undefined;
  const payloadJson = v.payloadJson;
  const task: ClaimedTask = {
    id: v.id,
    queue,
    // Parsed only if read, once: the handler gets payloadJson verbatim.
    get payload(): unknown {
      payload ??= { value: parseJson(payloadJson) ?? null };
      return payload.value;
    },
    payloadJson,
    retryCount: v.retryCount,
    maxRetry: v.maxRetry,
    token: v.token,
    leaseExpiresAt: v.leaseExpiresAt,
    enqueuedAt: v.enqueuedAt,
    startedAt: v.startedAt,
    attempts: v.attempts,
  };
  if (v.type !== '') task.type = v.type;
  if (v.timeoutMs > 0) {
    task.timeoutMs = v.timeoutMs;
    task.deadlineMs = v.startedAt + v.timeoutMs;
  }
  const meta = parseJson(v.meta);
  if (typeof meta === 'object' && meta !== null && !Array.isArray(meta)) {
    task.meta = meta as Record<string, unknown>;
  }
  return task;
}

/**
 * One row of a claim's reply (claim-core.lua claim_row): [id, numbers, payload] or [id, numbers,
 * payload, type, meta], numbers being "retryCount maxRetry timeoutMs token leaseExpiresAt
 * enqueuedAt startedAt attempts". Few values per row: ioredis decodes each value of a reply at
 * ~1 µs, and a busy supervisor reads a row per task.
 */
export function parseClaimRow(queue: string, row: unknown): ClaimedTask {
  const r = asArray(row, 'claimed task');
  if (r.length !== 3 && r.length !== 5) throw unexpectedReply('a claimed task of 3 or 5 values', r);
  const n = asString(r[1], 'claimed task numbers').split(' ');
  if (n.length !== 8) throw unexpectedReply('8 numbers in a claimed task', r[1]);
  const num = (i: number): number => asNumber(n[i], 'claimed task number');
  return toClaimedTask(queue, {
    id: asString(r[0]),
    payloadJson: asString(r[2]),
    type: r.length === 5 ? asString(r[3]) : '',
    meta: r.length === 5 ? asString(r[4]) : '',
    retryCount: num(0),
    maxRetry: num(1),
    timeoutMs: num(2),
    token: num(3),
    leaseExpiresAt: num(4),
    enqueuedAt: num(5),
    startedAt: num(6),
    attempts: num(7),
  });
}

export function parseClaimedTasks(queue: string, reply: unknown): ClaimedTask[] {
  return asArray(reply, 'claimed tasks').map((row) => parseClaimRow(queue, row));
}

/**
 * A row an enqueue's hand-off pushed on a supervisor's inbox (dispatch.lua, JSON): [id, payload,
 * type, retryCount, maxRetry, timeoutMs, meta, token, leaseExpiresAt, enqueuedAt, startedAt,
 * attempts]. An enqueue may run a client's scripts of another version than the supervisor's, so
 * this form stays as it was.
 */
export function parseInboxRow(queue: string, row: unknown): ClaimedTask {
  const r = asArray(row, 'claimed task');
  return toClaimedTask(queue, {
    id: asString(r[0]),
    payloadJson: asString(r[1]),
    type: asString(r[2]),
    meta: asString(r[6]),
    retryCount: asNumber(r[3]),
    maxRetry: asNumber(r[4]),
    timeoutMs: asNumber(r[5]),
    token: asNumber(r[7]),
    leaseExpiresAt: asNumber(r[8]),
    enqueuedAt: asNumber(r[9]),
    startedAt: asNumber(r[10]),
    attempts: asNumber(r[11]),
  });
}
