/**
 * Every Redis key and channel name drover uses comes from this module.
 *
 * Layout (see docs/redis-layout.md): `<prefix>{<queue>}:<name>`. The `{<queue>}` hash tag puts
 * every key of one queue in one Cluster slot, so each Lua script only touches keys of one slot.
 * Task ids embed their queue (`<queue>:<suffix>`), so `get(id)` / `cancel(id)` find the slot
 * from the id alone. Supervisor registry keys use the tag `{@supervisors}` (`@` is not allowed in
 * queue names, so it can never clash with a queue).
 */
import { randomBytes } from 'node:crypto';
import { DroverError } from '../../errors.js';

/** @defaultValue 'drover:' */
export const DEFAULT_PREFIX = 'drover:';

const QUEUE_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
const MAX_ID_SUFFIX = 256;

/** Names of the per-queue keys a script can declare (the loader maps them to `Q.<name>`). */
export const QUEUE_KEY_NAMES = [
  'pending', // ZSET id -> priority/FIFO score, tasks of priority != 0
  'pendingList', // LIST pending priority-0 tasks (ids without '<queue>:'), oldest first: ~25 B a task, a ZSET ~130
  'scheduled', // ZSET id -> run-at (ms, server time)
  'active', // ZSET id -> lease expiry (ms, server time): the lease record
  'completed', // ZSET id -> retention expiry (ms)
  'failed', // ZSET id -> retention expiry (ms): the dead set
  'cancelled', // ZSET id -> retention expiry (ms)
  'defaults', // HASH per-queue defaults
  'stats', // HASH totals: completed, failed, cancelled, retried, stale, reason:<r>
  'throughput', // HASH c:<minute> / f:<minute> counters
  'counters', // HASH seq, fseq, token, recoverCursor, idem (a task had an idempotency key)
  'wake', // LIST wake tokens for blocked supervisors
  'idle', // LIST "<expiresAt> <leaseMs> <supervisor id>" of supervisors blocked on an empty queue
  'inboxPrefix', // + supervisor id -> LIST tasks an enqueue leased to that idle supervisor (claim rows as JSON)
  'recoverLock', // STRING SET NX PX lock of the recoverer
  'taskPrefix', // + id -> HASH task
  'eventsPrefix', // + id -> STREAM progress/partial/end events
  'idemPrefix', // + idempotency key -> STRING task id
  'claimReqPrefix', // + claim request id -> STRING JSON {owner, ids, tokens}, PX leaseMs
] as const;
export type QueueKeyName = (typeof QUEUE_KEY_NAMES)[number];
export type QueueKeys = Readonly<Record<QueueKeyName, string>>;

export const SUPERVISOR_KEY_NAMES = ['registry', 'infoPrefix'] as const;
export type SupervisorKeyName = (typeof SUPERVISOR_KEY_NAMES)[number];
export type SupervisorKeys = Readonly<Record<SupervisorKeyName, string>>;

/** Pub/sub channel names a script can declare (the loader maps them to `CH.<name>`). */
export const CHANNEL_NAMES = ['donePrefix', 'notifyPrefix', 'cancel'] as const;
export type ChannelName = (typeof CHANNEL_NAMES)[number];
export type QueueChannels = Readonly<Record<ChannelName, string>>;

/** Keys of one task. */
export interface TaskKeys {
  queue: string;
  id: string;
  hash: string;
  events: string;
  /** Channel a terminal transition (or a delete) is published on. */
  done: string;
}

const QUEUE_KEY_SUFFIX: Record<QueueKeyName, string> = {
  pending: 'pending',
  pendingList: 'pending-list',
  scheduled: 'scheduled',
  active: 'active',
  completed: 'completed',
  failed: 'failed',
  cancelled: 'cancelled',
  defaults: 'defaults',
  stats: 'stats',
  throughput: 'throughput',
  counters: 'counters',
  wake: 'wake',
  idle: 'idle',
  inboxPrefix: 'inbox:',
  recoverLock: 'recover-lock',
  taskPrefix: 't:',
  eventsPrefix: 'ev:',
  idemPrefix: 'idem:',
  claimReqPrefix: 'claimreq:',
};

export function isValidQueueName(queue: string): boolean {
  return QUEUE_NAME.test(queue);
}

export function assertQueueName(queue: unknown): asserts queue is string {
  if (typeof queue !== 'string' || !isValidQueueName(queue)) {
    throw new DroverError(
      'INVALID_OPTION',
      `queue: expected 1-128 characters of [A-Za-z0-9_.-], got ${JSON.stringify(queue)}`,
    );
  }
}

export function assertPrefix(prefix: unknown): asserts prefix is string {
  if (typeof prefix !== 'string' || /[{}]/.test(prefix) || prefix.length > 128) {
    throw new DroverError(
      'INVALID_OPTION',
      `prefix: expected a string without '{' or '}' (at most 128 characters), got ${JSON.stringify(prefix)}`,
    );
  }
}

const DIGITS = '0123456789abcdefghijklmnopqrstuvwxyz';
const RANDOM_DIGITS = 11;
/** Random bytes drawn 4 KiB at a time: one getrandom call per ~300 ids instead of one per id. */
let pool = Buffer.alloc(0);
let poolAt = 0;

function randomDigit(): string {
  for (;;) {
    if (poolAt === pool.length) {
      pool = randomBytes(4096);
      poolAt = 0;
    }
    const byte = pool[poolAt++]!;
    if (byte < 252) return DIGITS[byte % 36]!; // 252 = 7 * 36: no modulo bias
  }
}

/**
 * A time-ordered random id suffix: 9 base-36 chars of ms time + 11 random base-36 chars (56.9
 * bits). 20 characters: the id is stored twice per pending task (key and list entry).
 */
export function newIdSuffix(): string {
  let suffix = Date.now().toString(36).padStart(9, '0');
  for (let i = 0; i < RANDOM_DIGITS; i++) suffix += randomDigit();
  return suffix;
}

/** `<queue>:<suffix>`; a caller-chosen suffix must be 1-256 printable characters. */
export function makeTaskId(queue: string, suffix: string = newIdSuffix()): string {
  if (suffix.length === 0 || suffix.length > MAX_ID_SUFFIX || /[\s\u0000-\u001f]/.test(suffix)) {
    throw new DroverError(
      'INVALID_OPTION',
      `id: expected 1-${MAX_ID_SUFFIX} characters without whitespace, got ${JSON.stringify(suffix)}`,
    );
  }
  return `${queue}:${suffix}`;
}

/** The queue a task id belongs to, or null when the id is not a drover id. */
export function queueOfTaskId(id: string): string | null {
  const sep = id.indexOf(':');
  if (sep <= 0 || sep === id.length - 1) return null;
  const queue = id.slice(0, sep);
  return isValidQueueName(queue) ? queue : null;
}

/** Builds key and channel names under one prefix. */
export class KeySpace {
  readonly prefix: string;

  constructor(prefix: string = DEFAULT_PREFIX) {
    assertPrefix(prefix);
    this.prefix = prefix;
  }

  /** `<prefix>{<queue>}:`: every key of the queue starts with this (one Cluster slot). */
  queueBase(queue: string): string {
    assertQueueName(queue);
    return `${this.prefix}{${queue}}:`;
  }

  /** Built once per queue name (every script call needs them); frozen, shared. */
  queue(queue: string): QueueKeys {
    return this.#names(queue).keys;
  }

  channels(queue: string): QueueChannels {
    return this.#names(queue).channels;
  }

  readonly #cache = new Map<string, { keys: QueueKeys; channels: QueueChannels }>();

  #names(queue: string): { keys: QueueKeys; channels: QueueChannels } {
    const hit = this.#cache.get(queue);
    if (hit) return hit;
    const base = this.queueBase(queue);
    const keys = {} as Record<QueueKeyName, string>;
    for (const name of QUEUE_KEY_NAMES) keys[name] = base + QUEUE_KEY_SUFFIX[name];
    const names = { keys: Object.freeze(keys), channels: Object.freeze({ donePrefix: `${base}done:`, notifyPrefix: `${base}notify:`, cancel: `${base}cancel` }) };
    // A client may name many queues over its life: keep the cache bounded.
    if (this.#cache.size >= 1024) this.#cache.clear();
    this.#cache.set(queue, names);
    return names;
  }

  /** Keys of a task, or null when the id does not embed a valid queue. */
  task(id: string): TaskKeys | null {
    const queue = queueOfTaskId(id);
    if (queue === null) return null;
    const q = this.queue(queue);
    return {
      queue,
      id,
      hash: q.taskPrefix + id,
      events: q.eventsPrefix + id,
      done: this.channels(queue).donePrefix + id,
    };
  }

  idempotency(queue: string, key: string): string {
    return this.queue(queue).idemPrefix + key;
  }

  supervisors(): SupervisorKeys {
    const base = `${this.prefix}{@supervisors}:`;
    return { registry: `${base}registry`, infoPrefix: `${base}info:` };
  }
}
