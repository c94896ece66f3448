import { DroverError } from '../../errors.js';
/** enqueue / enqueueMany and the per-queue defaults stored in Redis. */
import { assertQueueName, makeTaskId } from './keys.js';
import { type BackendContext, runQueueScript } from './context.js';
import { payloadJson } from './payload.js';
import {
  DEFAULT_MAX_PAYLOAD_BYTES,
  type EnqueueOptions,
  type NormalizedEnqueueOptions,
  type QueueDefaults,
  normalizeEnqueueOptions,
  normalizeQueueDefaults,
} from './options.js';
import { asArray, asNumber, asString, toJson } from './reply.js';
import type { ScriptArg } from './scripts.js';

export interface EnqueueResult {
  id: string;
  /** false when the id or the idempotency key matched a task that is still kept. */
  created: boolean;
}

function enqueueArgs(queue: string, payload: unknown, o: NormalizedEnqueueOptions, maxPayloadBytes: number): ScriptArg[] {
  const opt = (v: number | string | undefined): ScriptArg => (v === undefined ? '' : v);
  return [
    makeTaskId(queue, o.id),
    queue,
    payloadJson(payload, maxPayloadBytes),
    o.priority,
    o.delayMs,
    opt(o.runAt),
    opt(o.maxRetries),
    opt(o.timeoutMs),
    o.backoff ? o.backoff.type : '',
    o.backoff ? o.backoff.baseMs : '',
    o.backoff ? o.backoff.maxMs : '',
    o.backoff ? (o.backoff.jitter ? 1 : 0) : '',
    opt(o.resultTtlMs),
    opt(o.idempotencyKey),
    opt(o.type),
    o.meta === undefined ? '' : toJson(o.meta, 'meta'),
  ];
}

function parseEnqueue(reply: unknown): EnqueueResult {
  const r = asArray(reply, 'enqueue reply');
  return { id: asString(r[1]), created: asNumber(r[0]) === 1 };
}

export async function enqueue(
  ctx: BackendContext,
  queue: string,
  payload: unknown,
  options?: EnqueueOptions,
  maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES,
  notifyTag?: string,
): Promise<EnqueueResult> {
  assertQueueName(queue);
  const args = enqueueArgs(queue, payload, normalizeEnqueueOptions(options), maxPayloadBytes);
  if (notifyTag !== undefined) args.push(notifyTag); // run-notifier.ts: announce the finish to this tag
  return parseEnqueue(await runQueueScript(ctx, 'enqueue', queue, args));
}

/**
 * enqueue-many's 3 arguments per task: id, payload and '' when every option is at its default
 * (the common case, no JSON to build or parse), else enqueue.lua's arguments 4-16 as a JSON array.
 */
function compactArgs(args: ScriptArg[], o: NormalizedEnqueueOptions): [ScriptArg, ScriptArg, string] {
  const defaults = o.priority === 0 && o.delayMs === 0 && Object.keys(o).length === 2;
  return [args[0]!, args[2]!, defaults ? '' : JSON.stringify(args.slice(3).map(String))];
}

/** The reply of enqueue-many: {flags, [[index, id, state], ...] for the tasks not created}. */
function parseEnqueueMany(reply: unknown, ids: readonly string[]): EnqueueResult[] {
  const [flags, others] = asArray(reply, 'enqueue-many reply');
  const out = [...asString(flags)].map((flag, i): EnqueueResult => ({ id: ids[i]!, created: flag === '1' }));
  for (const row of asArray(others, 'enqueue-many reply')) {
    const [index, id] = asArray(row, 'enqueue-many row');
    out[asNumber(index) - 1] = { id: asString(id), created: false };
  }
  return out;
}

/** One enqueue-many call per chunk (one queue = one slot, so this works in Cluster too). */
export async function enqueueMany(
  ctx: BackendContext,
  queue: string,
  items: readonly { payload: unknown; options?: EnqueueOptions }[],
  maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES,
): Promise<EnqueueResult[]> {
  assertQueueName(queue);
  // Every item is checked before anything is sent: a bad item enqueues nothing, and says which it is.
  const argLists = items.map((item, i) => {
    try {
      const o = normalizeEnqueueOptions(item.options);
      return compactArgs(enqueueArgs(queue, item.payload, o, maxPayloadBytes), o);
    } catch (error) {
      if (error instanceof DroverError) throw new DroverError(error.code, `items[${i}]: ${error.message}`, { cause: error });
      throw error;
    }
  });
  // One script call per chunk: one clock read, one defaults read and one wake per chunk. Chunks
  // keep each call short (Redis runs a script without interruption) and its arguments small
  // (Redis holds a whole command in memory, twice while the script copies its arguments).
  const chunks: Promise<EnqueueResult[]>[] = [];
  let chunk: ScriptArg[] = [];
  let ids: string[] = [];
  let chunkChars = 0;
  const flush = (): void => {
    if (ids.length > 0) {
      const chunkIds = ids;
      chunks.push(runQueueScript(ctx, 'enqueue-many', queue, chunk).then((reply) => parseEnqueueMany(reply, chunkIds)));
    }
    chunk = [];
    ids = [];
    chunkChars = 0;
  };
  for (const [id, payload, options] of argLists) {
    const chars = String(payload).length;
    if (ids.length >= CHUNK_TASKS || (ids.length > 0 && chunkChars + chars > CHUNK_PAYLOAD_CHARS)) flush();
    chunk.push(id, payload, options);
    ids.push(String(id));
    chunkChars += chars;
  }
  flush();
  return (await Promise.all(chunks)).flat();
}

/** At most this many tasks, and about this much payload JSON, per enqueue-many script call. */
const CHUNK_TASKS = 500;
const CHUNK_PAYLOAD_CHARS = 8 * 1024 * 1024;

/** Merges the given defaults into the queue's stored defaults. */
export async function setQueueDefaults(ctx: BackendContext, queue: string, defaults: QueueDefaults): Promise<void> {
  assertQueueName(queue);
  const d = normalizeQueueDefaults(defaults);
  const fields: Record<string, string | number> = {};
  for (const name of ['maxRetries', 'timeoutMs', 'resultTtlMs', 'failedTtlMs', 'keepCompleted', 'keepFailed', 'eventsMaxLen'] as const) {
    const value = d[name];
    if (value !== undefined) fields[name] = value;
  }
  if (d.backoff) {
    const b = d.backoff;
    Object.assign(fields, { bType: b.type, bBase: b.baseMs, bMax: b.maxMs, bJitter: b.jitter ? 1 : 0 });
  }
  if (Object.keys(fields).length > 0) await ctx.redis.hset(ctx.keys.queue(queue).defaults, fields);
}

/** The queue's stored defaults (only fields that were set). */
export async function getQueueDefaults(ctx: BackendContext, queue: string): Promise<QueueDefaults> {
  const h = await ctx.redis.hgetall(ctx.keys.queue(queue).defaults);
  const out: QueueDefaults = {};
  for (const name of ['maxRetries', 'timeoutMs', 'resultTtlMs', 'failedTtlMs', 'keepCompleted', 'keepFailed', 'eventsMaxLen'] as const) {
    if (h[name] !== undefined) out[name] = Number(h[name]);
  }
  if (h.bType !== undefined) {
    out.backoff = {
      type: h.bType === 'fixed' ? 'fixed' : 'exponential',
      baseMs: Number(h.bBase),
      maxMs: Number(h.bMax),
      jitter: h.bJitter === '1',
    };
  }
  return out;
}
