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
