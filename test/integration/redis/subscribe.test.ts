import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Client } from '../../../src/client/client.js';
import type { TaskUpdate } from '../../../src/client/subscription.js';
import { isDroverError } from '../../../src/errors.js';
import { REDIS_URL } from '../../helpers/redis.js';
import { until } from '../../helpers/handlers.js';
import { type Fixture, LEASE, claimOne, createFixture } from './fixture.js';

/** A compact trace of updates: "progress:0.5:msg", "partial:<json>", "final:<state>:<result json>". */
function describeUpdate(u: TaskUpdate): string {
  if (u.type === 'progress') return `progress:${u.progress}${u.message === undefined ? '' : `:${u.message}`}`;
  if (u.type === 'partial') return `partial:${JSON.stringify(u.data)}`;
  return `final:${u.task.state}:${JSON.stringify(u.task.result ?? u.task.error?.message ?? null)}`;
}

async function collect(iterable: AsyncIterable<TaskUpdate>, seen: string[] = []): Promise<string[]> {
  for await (const u of iterable) seen.push(describeUpdate(u));
  return seen;
}

describe('client.subscribe(id)', () => {
  let f: Fixture;
  let client: Client;
  beforeEach(() => {
    f = createFixture('subscribe');
    client = f.track(new Client({ redis: REDIS_URL, prefix: f.prefix }));
  });
  afterEach(async () => {
    await f.cleanup();
  });

  it('replays what was reported before the call, in order, then follows live until the final task', async () => {
    const { id } = await client.enqueue('gen', 'prompt');
    const task = await claimOne(f.backend, 'gen');
    await f.backend.progress(task, 0.25, 'loading');
    await f.backend.partial(task, 'Hel');
    const seen: string[] = [];
    const following = collect(client.subscribe(id), seen);
    await until(() => seen.length === 2, 5000, 'the replayed updates');
    expect(seen).toEqual(['progress:0.25:loading', 'partial:"Hel"']);
    await f.backend.partial(task, 'lo');
    await f.backend.progress(task, 1);
    await f.backend.complete(task, { text: 'Hello' }, LEASE);
    expect(await following).toEqual(['progress:0.25:loading', 'partial:"Hel"', 'partial:"lo"', 'progress:1', 'final:completed:{"text":"Hello"}']);
  });

  it('a subscription opened before the task starts sees every update; items are typed by type', async () => {
    const { id } = await client.enqueue('gen', { n: 3 });
    const updates: TaskUpdate<{ token: string }, { tokens: number }>[] = [];
    const following = (async () => {
      for await (const u of client.subscribe<{ token: string }, { tokens: number }>(id)) updates.push(u);
    })();
    const task = await claimOne(f.backend, 'gen');
    for (const token of ['a', 'b', 'c']) await f.backend.partial(task, { token });
    await f.backend.complete(task, { tokens: 3 }, LEASE);
    await following;
    const tokens = updates.flatMap((u) => (u.type === 'partial' ? [u.data.token] : []));
    expect(tokens).toEqual(['a', 'b', 'c']);
    const last = updates.at(-1);
    expect(last?.type).toBe('final');
    if (last?.type === 'final') {
      expect(last.taskId).toBe(id);
      expect(last.task.result?.tokens).toBe(3);
    }
    expect(updates.filter((u) => u.type === 'final')).toHaveLength(1);
  });

  it('of a task that already finished: the stored updates, then the final task, then the end', async () => {
    const { id } = await client.enqueue('gen', 1);
    const task = await claimOne(f.backend, 'gen');
    await f.backend.progress(task, 0.5);
    await f.backend.partial(task, [1, 2]);
    await f.backend.fail(task, { reason: 'error', error: { message: 'out of memory', type: 'MemoryError', reason: 'error' }, retry: false });
    expect(await collect(client.subscribe(id))).toEqual(['progress:0.5', 'partial:[1,2]', 'final:failed:"out of memory"']);
    const cancelled = (await client.enqueue('gen', 2)).id;
    await client.cancel(cancelled);
    expect(await collect(client.subscribe(cancelled))).toEqual(['final:cancelled:"cancelled before it ran"']);
  });

  it('follows a task across a retry: both attempts’ updates, one final', async () => {
    const { id } = await client.enqueue('gen', 1, { maxRetries: 1 });
    const seen: string[] = [];
    const following = collect(client.subscribe(id), seen);
    const first = await claimOne(f.backend, 'gen');
    await f.backend.progress(first, 0.5, 'attempt 1');
    const failed = await f.backend.fail(first, { reason: 'error', error: { message: 'flaky', reason: 'error' }, retry: true, retryAfterMs: 0 });
    expect(failed.state).toBe('scheduled');
    let second: Awaited<ReturnType<typeof claimOne>> | undefined;
    await until(async () => {
      [second] = await f.backend.claim('gen', LEASE);
      return second !== undefined;
    }, 5000, 'the retry to be claimable');
    await f.backend.progress(second!, 0.9, 'attempt 2');
    await f.backend.complete(second!, 'ok', LEASE);
    expect(await following).toEqual(['progress:0.5:attempt 1', 'progress:0.9:attempt 2', 'final:completed:"ok"']);
  });

  it('get(id) shows the latest progress (fraction and message) and the latest partial', async () => {
    const { id } = await client.enqueue('gen', 1);
    const task = await claimOne(f.backend, 'gen');
    await f.backend.progress(task, 0.2, 'downloading');
    await f.backend.partial(task, { row: 1 });
    await f.backend.progress(task, 0.6, 'resizing');
    await f.backend.partial(task, { row: 2 });
    const during = await client.get(id);
    expect(during.progress).toEqual({ progress: 0.6, message: 'resizing' });
    expect(during.partial).toEqual({ row: 2 });
    await f.backend.progress(task, 0.8);
    expect((await client.get(id)).progress).toEqual({ progress: 0.8 }); // a progress without message clears the old one
    await f.backend.complete(task, 'done', LEASE);
    const after = await client.get(id);
    expect(after).toMatchObject({ state: 'completed', result: 'done', progress: { progress: 0.8 }, partial: { row: 2 } });
  });

  it('an unknown id rejects with TASK_NOT_FOUND on the first read', async () => {
    for (const id of ['gen:nope', 'not-a-task-id']) {
      const error = await collect(client.subscribe(id)).catch((e: unknown) => e);
      expect(isDroverError(error, 'TASK_NOT_FOUND')).toBe(true);
    }
  });

  it('timeout throws WAIT_TIMEOUT while the task has not finished (it keeps its state)', async () => {
    const { id } = await client.enqueue('gen', 1);
    const error = await collect(client.subscribe(id, { timeout: 200 })).catch((e: unknown) => e);
    expect(isDroverError(error, 'WAIT_TIMEOUT')).toBe(true);
    expect((await client.get(id)).state).toBe('pending');
    await expect(collect(client.subscribe(id, { timeout: -1 }))).rejects.toMatchObject({ code: 'INVALID_OPTION' });
  });

  it('an aborted signal or a break ends the iteration without error; the task keeps running', async () => {
    const { id } = await client.enqueue('gen', 1);
    const task = await claimOne(f.backend, 'gen');
    await f.backend.progress(task, 0.1);
    const controller = new AbortController();
    const seen: string[] = [];
    const following = collect(client.subscribe(id, { signal: controller.signal }), seen);
    await until(() => seen.length === 1, 5000, 'the first update');
    controller.abort();
    expect(await following).toEqual(['progress:0.1']);
    expect(await collect(client.subscribe(id, { signal: AbortSignal.abort() }))).toEqual([]);

    const broken: string[] = [];
    for await (const u of client.subscribe(id)) {
      broken.push(describeUpdate(u));
      break;
    }
    expect(broken).toEqual(['progress:0.1']);
    await f.backend.complete(task, 'late', LEASE);
    expect(await collect(client.subscribe(id))).toEqual(['progress:0.1', 'final:completed:"late"']);
  });
});
