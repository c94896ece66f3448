/**
 * waitForWork: block in Redis (BLPOP on the queues' wake lists) until an enqueue, a retry or a
 * requeue may have made work available, a scheduled task becomes due, or the timeout passes.
 *
 * 1. One wake-peek script per queue: work available now -> return at once; otherwise it drops
 *    stale wake tokens and reports when the next scheduled task is due; the wait is shortened
 *    to that. A queue whose last claim drained it (claim.lua then did the same work and said
 *    when the next scheduled task is due: noteClaim) is not peeked again, unless a token was
 *    popped since that claim: the common idle transition costs the claim alone.
 * 2. BLPOP on a dedicated connection: standalone, one BLPOP over all the queues; Cluster, one
 *    BLPOP per queue (each queue is its own slot), each on its own connection. A BLPOP still in
 *    flight from an earlier call (which returned on its timer) is reused, never duplicated.
 *    Pops are counted: a pop by such a leftover BLPOP after this call's peek ends the call at
 *    once, so an enqueue between the peek and the block is never missed. A leftover BLPOP that
 *    pops a token while no call waits (its supervisor is busy) pushes the token back, so that an
 *    idle supervisor blocked behind it still wakes.
 * 3. A JS timer bounds the wait precisely (Redis checks blocking timeouts every ~100 ms); an
 *    AbortSignal ends it early.
 * 4. With an inbox on a queue (setInbox: a supervisor of that one queue), the BLPOP also watches
 *    the inbox an enqueue pushes a task leased to it on (dispatch.lua), and a wait that ends any
 *    other way leaves the idle list (idle-inbox.ts).
 */
import { DroverError } from '../../errors.js';
import { type BackendContext, duplicateConnection, isCluster, runQueueScript } from './context.js';
import { IdleInbox, type InboxHandler } from './idle-inbox.js';
import { assertQueueName } from './keys.js';
import { toDroverError } from './redis-errors.js';
import { asArray, asNumber } from './reply.js';
import type { RedisClient } from './scripts.js';

type Outcome = { ok: true } | { ok: false; error: unknown };

interface Group {
  conn: RedisClient;
  /** Our inbox keys of its queues (with an inbox), then their wake keys. */
  blockKeys: string[];
  inflight: Promise<Outcome> | undefined;
  /** Wake tokens popped so far (not timeouts). */
  wakes: number;
  /** wait() calls in progress on this group. */
  waiting: number;
}

/** What a claim that drained its queue said about it (claim.lua's drained_wait). */
interface DrainedNote {
  /** Date.now() when the next scheduled task is due; Infinity when none is scheduled. */
  dueAt: number;
  /** `pops` then: a token popped since means the note may be out of date. */
  pops: number;
}

export class WorkWaiter {
  private readonly groups = new Map<string, Group>();
  private readonly drained = new Map<string, DrainedNote>();
  /** Wake tokens popped by every group so far. */
  private pops = 0;
  /** Tasks taken from an inbox so far. */
  private handOffs = 0;
  /** Inboxes by queue (one supervisor each) and by inbox key. */
  private readonly inboxes = new Map<string, IdleInbox>();
  private readonly inboxByKey = new Map<string, IdleInbox>();
  private closed = false;

  constructor(private readonly ctx: BackendContext) {}

  /** Records what a claim of `queue` said: drained (with claim.lua's wait), or not (undefined). */
  noteClaim(queue: string, drainedWaitMs: number | undefined, idle?: { slots: number; ms: number }): void {
    if (drainedWaitMs === undefined) return void this.drained.delete(queue);
    const dueAt = drainedWaitMs < 0 ? Infinity : Date.now() + drainedWaitMs;
    this.drained.set(queue, { dueAt, pops: this.pops });
    if (idle && idle.slots > 0) this.inboxes.get(queue)?.registeredOn(queue, idle.slots, dueAt, Date.now() + idle.ms);
  }

  /** The tasks `queue`'s idle entry of ours still offers to take (0: not registered there). */
  idleSlots(queue: string): number {
    return this.inboxes.get(queue)?.slotsOn(queue) ?? 0;
  }

  /**
   * Tasks of `queue` handed over to `owner` go to `onTask`; call before the first wait on the
   * queue. False when another owner (a second supervisor of this process) has that queue's inbox.
   */
  setInbox(owner: string, queue: string, onTask: InboxHandler): boolean {
    const existing = this.inboxes.get(queue);
    if (existing) return existing.owner === owner;
    const inbox = new IdleInbox(this.ctx, owner, onTask);
    this.inboxes.set(queue, inbox);
    this.inboxByKey.set(inbox.keyOf(queue), inbox);
    return true;
  }

  /** Leaves every idle list of `owner` (a supervisor stopping); returns what was handed over meanwhile. */
  async leaveAll(owner: string): Promise<[string, unknown][]> {
    const out: [string, unknown][] = [];
    for (const inbox of new Set(this.inboxes.values())) if (inbox.owner === owner) out.push(...(await inbox.leaveAll()));
    return out;
  }

  async wait(queues: readonly string[], timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (!Array.isArray(queues) || queues.length === 0) {
      throw new DroverError('INVALID_OPTION', `queues: expected a non-empty array, got ${JSON.stringify(queues)}`);
    }
    for (const q of queues) assertQueueName(q);
    if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0)) {
      throw new DroverError('INVALID_OPTION', `timeoutMs: expected a number >= 0, got ${JSON.stringify(timeoutMs)}`);
    }
    if (this.closed || signal?.aborted) return;
    const unique = [...new Set(queues)].sort();
    const groups = this.groupsFor(unique);
    for (const g of groups) g.waiting += 1;
    const handOffsBefore = this.handOffs;
    try {
      await this.waitOn(groups, unique, timeoutMs, signal);
    } finally {
      for (const g of groups) g.waiting -= 1;
    }
    // Woken otherwise than by a task handed over: stop being offered tasks (and take any that
    // raced in). A failure is left for the next wait: the inbox stays watched meanwhile.
    if (this.closed || this.handOffs !== handOffsBefore) return;
    for (const q of unique) await this.inboxes.get(q)?.leave([q]).catch(() => undefined);
  }

  private async waitOn(groups: Group[], unique: string[], timeoutMs: number, signal?: AbortSignal): Promise<void> {
    // A BLPOP left in flight by an earlier (aborted or timed-out) wait may pop the token of an
    // enqueue that lands after our peek; that wakeup would be lost, so count pops and compare.
    const wakesBefore = groups.map((g) => g.wakes);
    let wait = timeoutMs;
    const toPeek: string[] = [];
    const now = Date.now();
    for (const q of unique) {
      const note = this.drained.get(q);
      this.drained.delete(q); // one use: the next wait peeks unless another claim drains it again
      if (note?.pops === this.pops) wait = Math.min(wait, note.dueAt - now);
      else toPeek.push(q);
    }
    try {
      const peeks = await Promise.all(toPeek.map((q) => runQueueScript(this.ctx, 'wake-peek', q, [])));
      for (const peek of peeks) {
        const [ready, dueIn] = asArray(peek).map((x) => asNumber(x));
        if (ready === 1) return;
        if (dueIn !== undefined && dueIn >= 0) wait = Math.min(wait, dueIn);
      }
    } catch (error) {
      throw toDroverError(error, 'waitForWork');
    }
    if (wait <= 0 || signal?.aborted) return;
    if (groups.some((g, i) => g.wakes !== wakesBefore[i])) return;

    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const timeout = new Promise<Outcome>((resolve) => {
      timer = setTimeout(() => resolve({ ok: true }), wait);
      onAbort = () => resolve({ ok: true });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const outcome = await Promise.race([...groups.map((g) => this.blpop(g, wait)), timeout]);
      if (!outcome.ok && !this.closed) throw toDroverError(outcome.error, 'waitForWork');
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  private groupsFor(queues: readonly string[]): Group[] {
    const sets = isCluster(this.ctx.redis) ? queues.map((q) => [q]) : [queues];
    return sets.map((set) => {
      const name = set.join('\n');
      let group = this.groups.get(name);
      if (!group) {
        const conn = duplicateConnection(this.ctx.redis);
        conn.on('error', () => undefined);
        const inboxKeys = set.flatMap((q) => this.inboxes.get(q)?.keyOf(q) ?? []);
        // Inboxes first: BLPOP pops the first non-empty key, and a task handed over beats a token.
        group = { conn, blockKeys: [...inboxKeys, ...set.map((q) => this.ctx.keys.queue(q).wake)], inflight: undefined, wakes: 0, waiting: 0 };
        this.groups.set(name, group);
      }
      return group;
    });
  }

  private blpop(group: Group, waitMs: number): Promise<Outcome> {
    if (!group.inflight) {
      const seconds = (Math.max(10, Math.ceil(waitMs)) / 1000).toFixed(3);
      group.inflight = group.conn
        .blpop(...group.blockKeys, seconds)
        .then(
          (popped): Outcome => {
            if (popped !== null) {
              group.wakes += 1;
              this.pops += 1;
              // A task handed over is ours whoever waits; a token nobody here wants is handed
              // back for another idle supervisor.
              const inbox = this.inboxByKey.get(popped[0]);
              if (inbox?.take(popped[0], popped[1])) {
                this.handOffs += 1;
                // Still registered: the queue was empty when this task was handed over, so the
                // next wait can block at once, as after a claim that drained it.
                const queue = inbox.queueOf(popped[0]);
                if (queue !== undefined && inbox.slotsOn(queue) > 0) this.drained.set(queue, { dueAt: inbox.waitUntil(queue), pops: this.pops });
                return { ok: true };
              }
              if (group.waiting === 0 && !this.closed) void this.ctx.redis.lpush(popped[0], popped[1]).catch(() => undefined);
            }
            return { ok: true };
          },
          (error: unknown): Outcome => ({ ok: false, error }),
        )
        .finally(() => {
          group.inflight = undefined;
        });
    }
    return group.inflight;
  }

  /** Disconnects the blocking connections; waits in progress resolve. */
  close(): void {
    this.closed = true;
    for (const group of this.groups.values()) group.conn.disconnect();
    this.groups.clear();
  }
}
