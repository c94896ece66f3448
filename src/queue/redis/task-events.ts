/**
 * Progress and partial output: written by the supervisor (dropped when the token is stale),
 * read by clients as an async iterator over the task's event stream (XREAD BLOCK on a
 * dedicated connection, closed when the iteration ends).
 */
import { DroverError } from '../../errors.js';
import type { TaskEvent } from '../task.js';
import type { ClaimedTask } from './claimed-task.js';
import { type BackendContext, duplicateConnection, runQueueScript } from './context.js';
import { guard } from './redis-errors.js';
import { asNumber, parseJson, toJson } from './reply.js';
import type { RedisClient } from './scripts.js';
import { getTask } from './task-read.js';
import { type TaskInfo, isTerminal } from './task-info.js';

export async function progress(ctx: BackendContext, task: ClaimedTask, value: number, message?: string): Promise<boolean> {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new DroverError('INVALID_OPTION', `progress: expected a finite number, got ${JSON.stringify(value)}`);
  }
  const reply = await runQueueScript(ctx, 'task-event', task.queue, [task.id, task.token, 'progress', value, message ?? '']);
  return asNumber(reply) === 1;
}

export async function partial(ctx: BackendContext, task: ClaimedTask, data: unknown): Promise<boolean> {
  const reply = await runQueueScript(ctx, 'task-event', task.queue, [task.id, task.token, 'partial', toJson(data, 'partial'), '']);
  return asNumber(reply) === 1;
}

/** The last item of an event iteration: the task in its terminal state. */
export interface FinalEvent {
  type: 'final';
  taskId: string;
  task: TaskInfo;
}

export type TaskStreamItem = TaskEvent | FinalEvent;

export interface EventsOptions {
  /** Replay the events already in the stream (capped by eventsMaxLen). @defaultValue true */
  fromStart?: boolean;
  /** Longest single XREAD BLOCK before the task's state is re-checked. @defaultValue 5000 */
  blockMs?: number;
}

export const DEFAULT_EVENTS_OPTIONS: Readonly<Required<EventsOptions>> = { fromStart: true, blockMs: 5000 };

function notFound(id: string): DroverError {
  return new DroverError('TASK_NOT_FOUND', `task ${id} not found (unknown, deleted or expired)`);
}

function toRecord(fields: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) out[fields[i]!] = fields[i + 1]!;
  return out;
}

/** A stream entry as an event; null for the markers ('watch', 'end'). */
function toEvent(id: string, fields: string[]): TaskEvent | null {
  const f = toRecord(fields);
  if (f.t === 'progress') {
    const event: TaskEvent = { type: 'progress', taskId: id, progress: Number(f.d) };
    if (f.m) event.message = f.m;
    return event;
  }
  if (f.t === 'partial') return { type: 'partial', taskId: id, data: parseJson(f.d) ?? null };
  return null;
}

/** `open` receives each iterator's dedicated connection while it is open (closed by the backend). */
export async function* taskEvents(
  ctx: BackendContext,
  id: string,
  opts: EventsOptions = {},
  open: Set<RedisClient> = new Set(),
): AsyncGenerator<TaskStreamItem, void, undefined> {
  const fromStart = opts.fromStart ?? DEFAULT_EVENTS_OPTIONS.fromStart;
  const blockMs = opts.blockMs ?? DEFAULT_EVENTS_OPTIONS.blockMs;
  if (!Number.isInteger(blockMs) || blockMs < 1) {
    throw new DroverError('INVALID_OPTION', `blockMs: expected a positive integer, got ${JSON.stringify(blockMs)}`);
  }
  const keys = ctx.keys.task(id);
  if (!keys) throw notFound(id);
  let first = await getTask(ctx, id);
  if (!first) throw notFound(id);
  if (!isTerminal(first.state)) {
    // Makes sure the stream exists, so that finishing the task appends the 'end' entry we wake on.
    const state = await runQueueScript(ctx, 'events-watch', keys.queue, [id]);
    if (state === '') throw notFound(id);
    if (isTerminal(state as TaskInfo['state'])) first = (await getTask(ctx, id)) ?? first;
  }
  if (isTerminal(first.state)) {
    // Finished already: replay what the stream holds (it may not exist), then the final item.
    if (fromStart) {
      const entries = await guard('events', () => ctx.redis.xrange(keys.events, '-', '+'), ctx.redis);
      for (const [, fields] of entries) {
        const event = toEvent(id, fields);
        if (event) yield event;
      }
    }
    yield { type: 'final', taskId: id, task: first };
    return;
  }
  let last = '0-0';
  if (!fromStart) {
    const tail = await guard('events', () => ctx.redis.xrevrange(keys.events, '+', '-', 'COUNT', 1), ctx.redis);
    last = tail[0]?.[0] ?? '0-0';
  }
  const conn = duplicateConnection(ctx.redis);
  conn.on('error', () => undefined);
  open.add(conn);
  try {
    for (;;) {
      const reply = await guard('events', () => conn.xread('COUNT', 100, 'BLOCK', blockMs, 'STREAMS', keys.events, last), ctx.redis);
      if (reply === null) {
        const info = await getTask(ctx, id);
        if (!info) throw notFound(id);
        if (isTerminal(info.state)) {
          yield { type: 'final', taskId: id, task: info };
          return;
        }
        continue;
      }
      for (const [, entries] of reply) {
        for (const [entryId, fields] of entries) {
          last = entryId;
          const event = toEvent(id, fields);
          if (event) {
            yield event;
            continue;
          }
          if (toRecord(fields).t !== 'end') continue;
          const info = await getTask(ctx, id);
          if (!info) throw notFound(id);
          if (isTerminal(info.state)) {
            yield { type: 'final', taskId: id, task: info };
            return;
          }
        }
      }
    }
  } finally {
    open.delete(conn);
    conn.disconnect();
  }
}
