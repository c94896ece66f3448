import type { Logger } from 'pino';
import { type ClaimedTask, type Completion, type RedisBackend, resultJson } from '../queue/redis/backend.js';
import type { ClaimOptions } from '../queue/redis/lifecycle.js';

/**
 * Complete calls in flight per queue before completions wait and go out together: two, so that
 * a completion does not wait behind one slow call (the calls' claims refill the handlers'
 * buffered tasks), while a busy pool of many slots shares calls.
 */
export const MAX_CALLS_IN_FLIGHT = 2;

/**
 * Below this many task slots (the pool's capacity: declared concurrency plus written-ahead
 * tasks) every completion has a call of its own. With 2 slots and nothing written ahead, holding
 * completions back made the two handlers finish in step and wait for the same round trip: 9%
 * fewer tasks/s on the 2-core bench machine. From 4 slots up (-c 2 with --pipeline auto on
 * tiny tasks included), the same throughput with 10-20% less Redis CPU per task.
 */
export const GROUP_COMMIT_MIN_SLOTS = 4;

/** Most attempts one complete-many call carries; the rest wait for the next call. */
export const MAX_COMPLETIONS_PER_CALL = 64;

export interface CompletionBatcherParams {
  backend: Pick<RedisBackend, 'completeMany'>;
  /** Runs a write until it is written (untilWritten); undefined when it gave up. */
  write<T>(what: string, fn: () => Promise<T>): Promise<T | undefined>;
  /**
   * The claim to make with a call that completes `completing` attempts and asks for `count` next
   * tasks, or undefined for none (stopping).
   */
  claimOptions(count: number, completing: number): ClaimOptions | undefined;
  /** The pool's task slots now (group commit engages from GROUP_COMMIT_MIN_SLOTS). */
  slots(): number;
  /** A task the claim of a call leased to us. */
  onClaimed(task: ClaimedTask): void;
  logger: Logger;
}

export interface CompletionBatcher {
  /**
   * Completes one attempt, and with `wantNext` claims one next task of its queue in the same call.
   * Resolves with whether the result was accepted (false: a stale reply, the task was given to
   * someone else), or undefined when the write was given up (its lease brings the task back).
   */
  submit(task: ClaimedTask, result: unknown, wantNext: boolean): Promise<boolean | undefined>;
}

interface Pending {
  completion: Completion;
  wantNext: boolean;
  resolve(accepted: boolean | undefined): void;
}

/**
 * Group commit: at most MAX_CALLS_IN_FLIGHT complete calls in flight per queue. A completion
 * that arrives while they are waits for one to return, and then goes out with every other that
 * arrived meanwhile, in one complete-many call that also claims the next tasks they asked for.
 * At low load each completion goes at once, alone; under load a call carries what finished
 * during the previous ones, and the round trip's cost (the client's encoding and syscalls, the
 * script's clock and defaults reads, the set and counter writes, the claim's token and lease
 * writes) is shared. The added wait is at most one round trip; each slot has a task buffered
 * (prefetch) meanwhile.
 */
export function createCompletionBatcher(p: CompletionBatcherParams): CompletionBatcher {
  /** Per queue: the calls in flight, and the completions waiting for one of them to return. */
  const lanes = new Map<string, { inFlight: number; waiting: Pending[] }>();

  const send = async (queue: string, batch: Pending[]): Promise<void> => {
    let count = 0;
    for (const item of batch) if (item.wantNext) count += 1;
    // Decided once per call: a re-sent call asks with the same requestId, and gets the same tasks.
    const claim = count > 0 ? p.claimOptions(count, batch.length) : undefined;
    const completions = batch.map((item) => item.completion);
    let reply: Awaited<ReturnType<RedisBackend['completeMany']>> | undefined;
    try {
      reply = await p.write('complete', () => p.backend.completeMany(queue, completions, claim));
    } catch (error) {
      p.logger.error({ error: (error as Error).message }, 'completing tasks failed; their leases will expire and they will run again');
    }
    // Claimed tasks first: the supervisor then counts them as held before it looks for room.
    if (reply) for (const task of reply.claimed) p.onClaimed(task);
    batch.forEach((item, i) => item.resolve(reply ? reply.accepted[i] === true : undefined));
  };

  const dispatch = (queue: string, lane: { inFlight: number; waiting: Pending[] }, batch: Pending[]): void => {
    lane.inFlight += 1;
    void send(queue, batch).then(() => {
      lane.inFlight -= 1;
      if (lane.waiting.length > 0) dispatch(queue, lane, lane.waiting.splice(0, MAX_COMPLETIONS_PER_CALL));
      else if (lane.inFlight === 0) lanes.delete(queue);
    });
  };

  return {
    submit(task, result, wantNext) {
      let json: string;
      try {
        json = resultJson(result);
      } catch (error) {
        p.logger.error({ task: task.id, error: (error as Error).message }, 'result not stored; the lease will expire and the task will run again');
        return Promise.resolve(undefined);
      }
      return new Promise((resolve) => {
        const item: Pending = { completion: { task, resultJson: json }, wantNext, resolve };
        let lane = lanes.get(task.queue);
        if (!lane) lanes.set(task.queue, (lane = { inFlight: 0, waiting: [] }));
        if (lane.inFlight < MAX_CALLS_IN_FLIGHT || p.slots() < GROUP_COMMIT_MIN_SLOTS) dispatch(task.queue, lane, [item]);
        else lane.waiting.push(item);
      });
    },
  };
}
