/** Lease renewal (heartbeat) and the recoverer's sweep. */
import { DroverError } from '../../errors.js';
import type { ClaimedTask } from './claimed-task.js';
import { type BackendContext, byQueue, runQueueScript } from './context.js';
import { assertQueueName } from './keys.js';
import { nonNegativeMs, positiveMs } from './options.js';
import { asArray, asNumber, asString } from './reply.js';

export interface ExtendResult {
  /** Ids whose lease is gone (token changed, task recovered, cancelled or deleted): stop them. */
  lost: string[];
  /** Ids still leased whose cancel was requested (a backstop for a missed pub/sub message). */
  cancelRequested: string[];
}

/** One script call per queue for all of a supervisor's active tasks. */
export async function extendLeases(
  ctx: BackendContext,
  supervisorId: string,
  tasks: readonly ClaimedTask[],
  leaseMs: number,
): Promise<ExtendResult> {
  if (typeof supervisorId !== 'string' || supervisorId === '') {
    throw new DroverError('INVALID_OPTION', `supervisorId: expected a non-empty string, got ${JSON.stringify(supervisorId)}`);
  }
  const lease = positiveMs('leaseMs', leaseMs);
  const out: ExtendResult = { lost: [], cancelRequested: [] };
  const replies = await Promise.all(
    [...byQueue(tasks)].map(([queue, list]) =>
      runQueueScript(ctx, 'extend-leases', queue, [lease, ...list.flatMap((t) => [t.id, t.token])]),
    ),
  );
  for (const reply of replies) {
    const [lost, cancel] = asArray(reply);
    out.lost.push(...asArray(lost).map((x) => asString(x)));
    out.cancelRequested.push(...asArray(cancel).map((x) => asString(x)));
  }
  return out;
}

export interface RecoverOptions {
  /**
   * The sweep of a queue runs only when its lock (SET NX PX lockMs) is free, so across all
   * supervisors it runs at most once per lockMs. Pass the recoverer's interval. 0 = no lock.
   * @defaultValue 5000
   */
  lockMs?: number;
}

export const DEFAULT_RECOVER_OPTIONS: Readonly<Required<RecoverOptions>> = { lockMs: 5000 };

export interface RecoverResult {
  requeued: number;
  /** Moved to the dead set (retries exhausted). */
  failed: number;
  /** Ended cancelled (their cancel had been requested). */
  cancelled: number;
  /** Queues whose sweep ran (the others were locked by a recent sweep). */
  swept: string[];
}

export async function recover(
  ctx: BackendContext,
  queues: readonly string[],
  opts: RecoverOptions = {},
): Promise<RecoverResult> {
  const lockMs = nonNegativeMs('lockMs', opts.lockMs ?? DEFAULT_RECOVER_OPTIONS.lockMs);
  for (const q of queues) assertQueueName(q);
  const unique = [...new Set(queues)];
  const replies = await Promise.all(unique.map((q) => runQueueScript(ctx, 'recover', q, [lockMs])));
  const out: RecoverResult = { requeued: 0, failed: 0, cancelled: 0, swept: [] };
  replies.forEach((reply, i) => {
    const r = asArray(reply).map((x) => asNumber(x));
    if (r[0] === 1) out.swept.push(unique[i]!);
    out.requeued += r[1] ?? 0;
    out.failed += r[2] ?? 0;
    out.cancelled += r[3] ?? 0;
  });
  return out;
}
