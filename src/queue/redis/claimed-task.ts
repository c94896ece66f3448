/** A task leased to a supervisor by `claim` (or by `complete` with claimNext). */
import type { TaskAttempt } from '../task.js';
import { asArray, asNumber, asString, parseJson } from './reply.js';

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

/** One claim-core row -> ClaimedTask. */
export function parseClaimedTask(queue: string, row: unknown): ClaimedTask {
  const r = asArray(row, 'claimed task');
  const timeoutMs = asNumber(r[5]);
  const startedAt = asNumber(r[10]);
  const payloadJson = asString(r[1]);
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
    retryCount: asNumber(r[3]),
    maxRetry: asNumber(r[4]),
    token: asNumber(r[7]),
    leaseExpiresAt: asNumber(r[8]),
    enqueuedAt: asNumber(r[9]),
    startedAt,
    attempts: asNumber(r[11]),
  };
  const type = asString(r[2]);
  if (type !== '') task.type = type;
  if (timeoutMs > 0) {
    task.timeoutMs = timeoutMs;
    task.deadlineMs = startedAt + timeoutMs;
  }
  const meta = parseJson(asString(r[6]));
  if (typeof meta === 'object' && meta !== null && !Array.isArray(meta)) {
    task.meta = meta as Record<string, unknown>;
  }
  return task;
}

export function parseClaimedTasks(queue: string, reply: unknown): ClaimedTask[] {
  return asArray(reply, 'claimed tasks').map((row) => parseClaimedTask(queue, row));
}
