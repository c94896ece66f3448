import type { BatchRecord } from './batch-runner.js';

/**
 * Writes records in input order (GNU parallel's --keep-order): a record that finishes early
 * waits for those before it. `null` marks a task that ends without a record (interrupted), so
 * it does not hold the others back. Up to `maxPending` records wait in memory; beyond that the
 * finishing tasks wait too, which stops the reader from starting new ones.
 */
export class OrderedOutput {
  readonly #sink: (record: BatchRecord) => Promise<void>;
  readonly #maxPending: number;
  readonly #pending = new Map<number, BatchRecord | null>();
  #next = 0;
  #waiters: (() => void)[] = [];

  constructor(sink: (record: BatchRecord) => Promise<void>, maxPending = 10_000) {
    this.#sink = sink;
    this.#maxPending = maxPending;
  }

  async put(seq: number, record: BatchRecord | null): Promise<void> {
    this.#pending.set(seq, record);
    const writes: Promise<void>[] = [];
    // #next moves before any await, so concurrent calls hand records to the sink in order.
    while (this.#pending.has(this.#next)) {
      const ready = this.#pending.get(this.#next)!;
      this.#pending.delete(this.#next);
      this.#next += 1;
      if (ready) writes.push(this.#sink(ready));
    }
    if (this.#pending.size <= this.#maxPending) for (const w of this.#waiters.splice(0)) w();
    await Promise.all(writes);
    while (this.#pending.size > this.#maxPending) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }
}
