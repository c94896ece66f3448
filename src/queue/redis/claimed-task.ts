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
 * A ClaimedTask read from Redis. A class, so that every claimed task shares one hidden class and
 * its payload getter lives on the prototype: an object literal with a getter closing over the
 * payload cost ~1.3 µs to make (against ~0.08) and came out in dictionary mode, which slows every
 * later read of its fields on the supervisor's hot path.
 */
class RedisClaimedTask implements ClaimedTask {
  readonly id: string;
  readonly queue: string;
  /** The handler gets it verbatim; `payload` parses it on first read, once. */
  readonly payloadJson: string;
  retryCount: number;
  maxRetry: number;
  token: number;
  leaseExpiresAt: number;
  enqueuedAt: number;
  startedAt: number;
  attempts: number;
  // Declared up front (undefined when absent) so that every task has the same shape.
  type: string | undefined = undefined;
  timeoutMs: number | undefined = undefined;
  deadlineMs: number | undefined = undefined;
  meta: Record<string, unknown> | undefined = undefined;
  #payload: { value: unknown } | undefined = undefined;

  constructor(id: string, queue: string, payloadJson: string, n: readonly number[]) {
    this.id = id;
    this.queue = queue;
    this.payloadJson = payloadJson;
    this.retryCount = n[0]!;
    this.maxRetry = n[1]!;
    this.token = n[3]!;
    this.leaseExpiresAt = n[4]!;
    this.enqueuedAt = n[5]!;
    this.startedAt = n[6]!;
    this.attempts = n[7]!;
  }

  get payload(): unknown {
    this.#payload ??= { value: parseJson(this.payloadJson) ?? null };
    return this.#payload.value;
  }
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
  const words = asString(r[1], 'claimed task numbers').split(' ');
  if (words.length !== 8) throw unexpectedReply('8 numbers in a claimed task', r[1]);
  const n = words.map((word) => asNumber(word, 'claimed task number'));
  const task = new RedisClaimedTask(asString(r[0]), queue, asString(r[2]), n);
  const timeoutMs = n[2]!;
  if (timeoutMs > 0) {
    task.timeoutMs = timeoutMs;
    task.deadlineMs = task.startedAt + timeoutMs;
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
