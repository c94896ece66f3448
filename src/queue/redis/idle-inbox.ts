/**
 * A supervisor's side of direct hand-off (lua/include/dispatch.lua): the queues on which its
 * last claim registered it as idle, its inbox keys (which its BLPOP watches next to the wake
 * keys), and leaving the idle list when it stops waiting for any other reason than a task
 * handed over. Rows are claim rows (claim-core), JSON-encoded by the enqueue that leased them.
 */
import { type BackendContext, runQueueScript } from './context.js';
import { asArray, asString } from './reply.js';

export type InboxHandler = (queue: string, row: unknown) => void;

/** An entry this close to its expiry is not waited on: the supervisor claims and registers anew. */
const ENTRY_MARGIN_MS = 1000;

export class IdleInbox {
  /**
   * Queues whose Q.idle holds an entry of ours (as far as we know): its slots left, when the
   * next scheduled task is due and when the entry expires (Date.now() ms).
   */
  private readonly registered = new Map<string, { slots: number; dueAt: number; expiresAt: number }>();
  private readonly queueByKey = new Map<string, string>();

  constructor(
    private readonly ctx: BackendContext,
    readonly owner: string,
    private readonly onTask: InboxHandler,
  ) {}

  /** The inbox key of `queue` (the BLPOP watches it). */
  keyOf(queue: string): string {
    const key = this.ctx.keys.queue(queue).inboxPrefix + this.owner;
    this.queueByKey.set(key, queue);
    return key;
  }

  /** The queue of one of our inbox keys. */
  queueOf(key: string): string | undefined {
    return this.queueByKey.get(key);
  }

  /** A claim of `queue` registered us as idle there, for `slots` tasks, until `expiresAt`. */
  registeredOn(queue: string, slots: number, dueAt: number, expiresAt: number): void {
    this.registered.set(queue, { slots, dueAt, expiresAt });
  }

  /** The tasks our entry in `queue`'s idle list still offers to take (0: none there, or it expires within a second). */
  slotsOn(queue: string): number {
    const entry = this.registered.get(queue);
    return entry && Date.now() < entry.expiresAt - ENTRY_MARGIN_MS ? entry.slots : 0;
  }

  /** How long a wait on the entry may block: until the next scheduled task is due, or a second before the entry expires. */
  waitUntil(queue: string): number {
    const entry = this.registered.get(queue);
    return entry ? Math.min(entry.dueAt, entry.expiresAt - ENTRY_MARGIN_MS) : 0;
  }

  /**
   * A BLPOP popped `value` from `key`: when that is an inbox, hands the task over and returns
   * true (the enqueue that pushed it took our idle entry).
   */
  take(key: string, value: string): boolean {
    const queue = this.queueByKey.get(key);
    if (queue === undefined) return false;
    // The enqueue put our entry back with one slot less, or took it with the last one.
    const entry = this.registered.get(queue);
    if (entry && entry.slots > 1) entry.slots -= 1;
    else this.registered.delete(queue);
    this.onTask(queue, JSON.parse(value) as unknown);
    return true;
  }

  /** Leaves the idle list of each of `queues` we are registered on; hands over what was pushed meanwhile. */
  async leave(queues: readonly string[]): Promise<void> {
    for (const [queue, row] of await this.leaveQueues(queues.filter((q) => this.registered.has(q)))) this.onTask(queue, row);
  }

  /** Leaves every idle list; returns what was pushed meanwhile instead of handing it over. */
  leaveAll(): Promise<[string, unknown][]> {
    return this.leaveQueues([...this.registered.keys()]);
  }

  private async leaveQueues(queues: readonly string[]): Promise<[string, unknown][]> {
    const out: [string, unknown][] = [];
    for (const queue of queues) {
      const rows = asArray(await runQueueScript(this.ctx, 'idle-leave', queue, [this.owner]), 'idle-leave reply');
      this.registered.delete(queue); // only once Redis said so: a failed leave is tried again next time
      for (const row of rows) out.push([queue, JSON.parse(asString(row)) as unknown]);
    }
    return out;
  }
}
