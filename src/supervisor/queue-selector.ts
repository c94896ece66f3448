import { DroverError } from '../errors.js';

/** A queue to serve, with an optional weight ("emails:3"). */
export interface QueueSpec {
  name: string;
  weight?: number;
}

/** Parse `--queue name` / `--queue name:weight`. */
export function parseQueueSpec(text: string): QueueSpec {
  const m = /^([^:\s]+(?::[^:\s]+)*?)(?::(\d+))?$/.exec(text.trim());
  if (!m || !m[1]) throw new DroverError('INVALID_OPTION', `--queue must be NAME or NAME:WEIGHT, got ${JSON.stringify(text)}`);
  const weight = m[2] === undefined ? undefined : Number(m[2]);
  if (weight !== undefined && weight < 1) throw new DroverError('INVALID_OPTION', `--queue weight must be >= 1, got ${JSON.stringify(text)}`);
  return weight === undefined ? { name: m[1] } : { name: m[1], weight };
}

/**
 * The order in which to try queues for the next claim. Without weights: strict priority, in
 * the order given (the first queue is always drained first). With weights (asynq's default):
 * a weighted random order, so a low-weight queue is never starved.
 */
export function claimOrder(queues: readonly QueueSpec[], random: () => number = Math.random): string[] {
  if (!queues.some((q) => q.weight !== undefined)) return queues.map((q) => q.name);
  const pool = queues.map((q) => ({ name: q.name, weight: q.weight ?? 1 }));
  const order: string[] = [];
  while (pool.length > 0) {
    const total = pool.reduce((s, q) => s + q.weight, 0);
    let pick = random() * total;
    let index = 0;
    while (index < pool.length - 1 && pick >= pool[index]!.weight) {
      pick -= pool[index]!.weight;
      index += 1;
    }
    order.push(pool.splice(index, 1)[0]!.name);
  }
  return order;
}

/** One claim call of a refill: `count` tasks (at most) from `queue`. */
export interface ClaimStep {
  queue: string;
  count: number;
}

/**
 * How a refill of `room` tasks is asked of the queues, in `order` (claimOrder's). Without
 * weights: each queue in turn for all that is left. With weights, each task of the room is one
 * weighted draw (`drawn`: draws already made for it, by completions that freed a slot): every
 * queue is first asked for its share of the draws, then, for what the shares left unfilled, each
 * in turn for all that is left. A pool with a deep write-ahead refills dozens of tasks at once;
 * one draw for all of them would hand a whole refill to one queue.
 */
export function claimSteps(
  queues: readonly QueueSpec[],
  order: readonly string[],
  room: number,
  drawn: ReadonlyMap<string, number> = new Map(),
  random: () => number = Math.random,
): ClaimStep[] {
  const rest = order.map((queue) => ({ queue, count: room }));
  if (!queues.some((q) => q.weight !== undefined) || order.length < 2) return rest;
  const weights = new Map(queues.map((q) => [q.name, q.weight ?? 1]));
  const total = order.reduce((s, q) => s + (weights.get(q) ?? 1), 0);
  const shares = new Map<string, number>();
  let draws = 0;
  for (const queue of order) {
    const n = Math.min(drawn.get(queue) ?? 0, room - draws);
    if (n > 0) {
      shares.set(queue, n);
      draws += n;
    }
  }
  for (; draws < room; draws += 1) {
    let pick = random() * total;
    let index = 0;
    while (index < order.length - 1 && pick >= (weights.get(order[index]!) ?? 1)) {
      pick -= weights.get(order[index]!) ?? 1;
      index += 1;
    }
    shares.set(order[index]!, (shares.get(order[index]!) ?? 0) + 1);
  }
  const steps = order.flatMap((queue) => (shares.has(queue) ? [{ queue, count: shares.get(queue)! }] : []));
  return [...steps, ...rest];
}
