/** claim, complete, fail and requeue: the transitions of one attempt. */
import { randomInt } from 'node:crypto';
import { DroverError } from '../../errors.js';
import { FAILURE_REASONS, type FailureReason, type TaskError } from '../task.js';
import { type ClaimedTask, parseClaimedTasks } from './claimed-task.js';
import { type BackendContext, byQueue, runQueueScript } from './context.js';
import { assertQueueName } from './keys.js';
import { nonNegativeCount, nonNegativeMs, positiveMs, requestId } from './options.js';
import { asArray, asNumber, asString, toJson } from './reply.js';

export interface ClaimOptions {
  supervisorId: string;
  /** Lease length; renew with extendLeases well before it runs out. */
  leaseMs: number;
  /** @defaultValue 1 */
  count?: number;
  /**
   * Makes the claim idempotent: a caller-chosen id, unique per claim call (for example
   * `<supervisorId>:<counter>` or a UUID), 1-128 characters of [A-Za-z0-9_.:@+/=-]. When the
   * same call runs again with the same id while the first claim's lease (leaseMs) lasts (ioredis
   * re-sends a command whose reply was lost to a dropped connection), it returns the tasks of the
   * first run, with the same tokens, instead of claiming more; tasks no longer held with those
   * tokens are left out. Reusing an id of another supervisor is an INVALID_OPTION error.
   */
  requestId?: string;
  /**
   * For a supervisor of one queue that blocks in waitForWork when its claim drains the queue:
   * register it as idle for this many ms, so that the next enqueue leases the task to it
   * directly (dispatch.lua); the task comes to the handler set with RedisBackend.setInbox.
   * @defaultValue undefined (no registration)
   */
  idleMs?: number;
  /**
   * With idleMs, for the claim of completeMany: the tasks to register for, the supervisor's room
   * once these completions are written (a claim registers for `count` minus what it got).
   * @defaultValue count
   */
  idleSlots?: number;
}

export interface FailInput {
  reason: FailureReason;
  error: TaskError;
  retry: boolean;
  retryAfterMs?: number;
}

export type FailState = 'scheduled' | 'failed' | 'cancelled';

function claimArgs(o: ClaimOptions): [string, number, number, string] {
  if (typeof o.supervisorId !== 'string' || o.supervisorId === '') {
    throw new DroverError('INVALID_OPTION', `supervisorId: expected a non-empty string, got ${JSON.stringify(o.supervisorId)}`);
  }
  const count = o.count ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > 10_000) {
    throw new DroverError('INVALID_OPTION', `count: expected an integer in [1, 10000], got ${JSON.stringify(count)}`);
  }
  const rid = o.requestId === undefined ? '' : requestId(o.requestId);
  return [o.supervisorId, positiveMs('leaseMs', o.leaseMs), count, rid];
}

export interface ClaimReply {
  tasks: ClaimedTask[];
  /**
   * Set when the claim left nothing pending: what a wake-peek would answer now (0 = a scheduled
   * task is due, else ms until the next one, -1 = none); claim.lua dropped the stale wake tokens.
   */
  drainedWaitMs?: number;
}

export async function claim(ctx: BackendContext, queue: string, opts: ClaimOptions): Promise<ClaimReply> {
  assertQueueName(queue);
  const idleMs = opts.idleMs === undefined ? '' : positiveMs('idleMs', opts.idleMs);
  const rows = asArray(await runQueueScript(ctx, 'claim', queue, [...claimArgs(opts), idleMs]), 'claimed tasks');
  const last = rows[rows.length - 1];
  if (rows.length === 0 || Array.isArray(last)) return { tasks: parseClaimedTasks(queue, rows) };
  return { tasks: parseClaimedTasks(queue, rows.slice(0, -1)), drainedWaitMs: asNumber(last) };
}

export async function complete(
  ctx: BackendContext,
  task: ClaimedTask,
  result: unknown,
  claimNext?: ClaimOptions,
): Promise<{ accepted: boolean; next: ClaimedTask | null; claimed: ClaimedTask[] }> {
  const next = claimNext ? claimArgs(claimNext) : ['', 0, 0, ''];
  const reply = asArray(
    await runQueueScript(ctx, 'complete', task.queue, [
      task.id,
      task.token,
      resultJson(result),
      claimNext ? 1 : 0,
      ...next,
    ]),
  );
  const claimed = parseClaimedTasks(task.queue, reply[1]);
  return { accepted: asNumber(reply[0]) === 1, next: claimed[0] ?? null, claimed };
}

/** One attempt of completeMany: its claim and its result, already JSON (see resultJson). */
export interface Completion {
  task: ClaimedTask;
  resultJson: string;
}

/** A result as complete stores it; throws INVALID_INPUT when it is not JSON-serializable. */
export function resultJson(result: unknown): string {
  return toJson(result, 'result');
}

/**
 * Completes several attempts of one queue in one script call, and claims up to `claimNext.count`
 * next tasks for all of them (0 or no claimNext: none). Each attempt is accepted or stale as with
 * complete; with claimNext.requestId, a re-sent call claims nothing new (complete-many.lua).
 */
export async function completeMany(
  ctx: BackendContext,
  queue: string,
  completions: readonly Completion[],
  claimNext?: ClaimOptions,
): Promise<CompleteManyReply> {
  assertQueueName(queue);
  if (completions.length === 0) throw new DroverError('INVALID_OPTION', 'completions: expected at least one');
  const [owner, leaseMs, count, rid] = claimNext ? claimArgs(claimNext) : ['', 1, 0, ''];
  const idleMs = claimNext?.idleMs === undefined ? '' : positiveMs('idleMs', claimNext.idleMs);
  const idleSlots = idleMs === '' ? '' : nonNegativeCount('idleSlots', claimNext!.idleSlots ?? count);
  const args: (string | number)[] = [owner, leaseMs, count, rid, idleMs, idleSlots];
  for (const c of completions) {
    if (c.task.queue !== queue) throw new DroverError('INVALID_OPTION', `completions: task ${c.task.id} is of queue ${c.task.queue}, not ${queue}`);
    args.push(c.task.id, c.task.token, c.resultJson);
  }
  const reply = asArray(await runQueueScript(ctx, 'complete-many', queue, args), 'complete-many reply');
  const flags = asString(reply[0], 'accepted flags');
  const out: CompleteManyReply = { accepted: completions.map((_, i) => flags[i] === '1'), claimed: parseClaimedTasks(queue, reply[1]) };
  if (reply[2] !== undefined) out.drainedWaitMs = asNumber(reply[2]);
  return out;
}

export interface CompleteManyReply {
  /** By attempt, in order: false for a stale reply. */
  accepted: boolean[];
  claimed: ClaimedTask[];
  /** With claimNext.idleMs, when the claim drained the queue: as ClaimReply.drainedWaitMs. */
  drainedWaitMs?: number;
}


function errorJson(f: FailInput): string {
  if (!FAILURE_REASONS.includes(f.reason)) {
    throw new DroverError('INVALID_OPTION', `reason: expected one of ${FAILURE_REASONS.join(', ')}, got ${JSON.stringify(f.reason)}`);
  }
  const e = f.error;
  const error: TaskError = { message: typeof e?.message === 'string' ? e.message : String(e?.message), reason: f.reason };
  if (e?.type !== undefined) error.type = e.type;
  if (e?.stack !== undefined) error.stack = e.stack;
  return toJson(error, 'error');
}

export async function fail(
  ctx: BackendContext,
  task: ClaimedTask,
  f: FailInput,
): Promise<{ accepted: boolean; state: FailState; runAt?: number }> {
  const retryAfter = f.retryAfterMs === undefined ? '' : nonNegativeMs('retryAfterMs', f.retryAfterMs);
  const reply = asArray(
    await runQueueScript(ctx, 'fail', task.queue, [
      task.id,
      task.token,
      f.reason,
      errorJson(f),
      f.retry ? 1 : 0,
      retryAfter,
      (randomInt(0, 1_000_000) / 1_000_000).toFixed(6),
    ]),
  );
  const accepted = asNumber(reply[0]) === 1;
  const state = asString(reply[1]);
  const runAt = asNumber(reply[2]);
  // A stale reply reports the state the task is in now (or 'failed' when it is gone).
  const shown: FailState = state === 'scheduled' || state === 'cancelled' ? state : 'failed';
  return runAt > 0 ? { accepted, state: shown, runAt } : { accepted, state: shown };
}

/** Graceful shutdown: back to pending at the front; the attempt is not counted. */
export async function requeue(ctx: BackendContext, tasks: readonly ClaimedTask[]): Promise<number> {
  let total = 0;
  const groups = [...byQueue(tasks)];
  const counts = await Promise.all(
    groups.map(([queue, list]) =>
      runQueueScript(ctx, 'requeue', queue, list.flatMap((t) => [t.id, t.token])),
    ),
  );
  for (const n of counts) total += asNumber(n);
  return total;
}
