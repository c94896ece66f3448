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
  const payloadJson = asString(r[2]);
  const timeoutMs = num(2);
  const startedAt = num(6);
  let payload: { value: unknown } | undefined;
  const task: ClaimedTask = {
    id: asString(r[0]),
    queue,
    // Parsed only if read, once: the handler gets payloadJson verbatim.
    get payload(): unknown {
      payload ??= { value: parseJson(payloadJson) ?? null };
      return payload.value;
    },
    payloadJson,
    retryCount: num(0),
    maxRetry: num(1),
    token: num(3),
    leaseExpiresAt: num(4),
    enqueuedAt: num(5),
    startedAt,
    attempts: num(7),
  };
  if (timeoutMs > 0) {
    task.timeoutMs = timeoutMs;
    task.deadlineMs = startedAt + timeoutMs;
  }
  if (r.length === 5) {
    const type = asString(r[3]);
    if (type !== '') task.type = type;
    const meta = parseJson(asString(r[4]));
    if (typeof meta === 'object' && meta !== null && !Array.isArray(meta)) task.meta = meta as Record<string, unknown>;
  }
  return task;
}

export function parseClaimedTasks(queue: string, reply: unknown): ClaimedTask[] {
  return asArray(reply, 'claimed tasks').map((row) => parseClaimRow(queue, row));
}

/**
 * A row an enqueue's hand-off pushed on a supervisor's inbox (dispatch.lua, JSON): [id, payload,
 * type, retryCount, maxRetry, timeoutMs, meta, token, leaseExpiresAt, enqueuedAt, startedAt,
 * attempts]. An enqueue may run a client's scripts of another version than the supervisor's, so
 * this form stays as it was; it is read as the claim row it stands for.
 */
export function parseInboxRow(queue: string, row: unknown): ClaimedTask {
  const r = asArray(row, 'claimed task');
  if (r.length !== 12) throw unexpectedReply('an inbox row of 12 values', r);
  const numbers = [r[3], r[4], r[5], r[7], r[8], r[9], r[10], r[11]].map((v) => asString(v, 'claimed task number')).join(' ');
  return parseClaimRow(queue, [r[0], numbers, r[1], r[2], r[6]]);
}
