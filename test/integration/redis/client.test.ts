import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Client } from '../../../src/client/client.js';
import { defaultRedisUrl } from '../../../src/client/options.js';
import { TaskFailedError } from '../../../src/client/task-failed-error.js';
import { isDroverError } from '../../../src/errors.js';
import { REDIS_URL } from '../../helpers/redis.js';
import { type Fixture, LEASE, claimOne, createFixture } from './fixture.js';

describe('Client', () => {
  let f: Fixture;
  let client: Client;
  beforeEach(() => {
    f = createFixture('client');
    client = f.track(new Client({ redis: REDIS_URL, prefix: f.prefix }));
  });
  afterEach(async () => {
    await f.cleanup();
  });

  /** Plays the supervisor: claims the next task of a queue and completes or fails it. */
  async function serve(queue: string, handle: (payload: unknown) => { result: unknown } | { error: string }): Promise<void> {
    await f.backend.waitForWork([queue], 5000);
    const task = await claimOne(f.backend, queue);
    const out = handle(task.payload);
    if ('result' in out) await f.backend.complete(task, out.result);
    else await f.backend.fail(task, { reason: 'error', error: { message: out.error, type: 'ValueError', reason: 'error' }, retry: false });
  }

  it('run() enqueues, waits and returns the result', async () => {
    const serving = serve('add', (p) => ({ result: (p as { a: number; b: number }).a + (p as { a: number; b: number }).b }));
    const sum = await client.run<number>('add', { a: 2, b: 3 }, { timeout: 5000 });
    await serving;
    expect(sum).toBe(5);
  });

  it('run() throws a TaskFailedError (DroverError TASK_FAILED) carrying the task error', async () => {
    const serving = serve('bad', () => ({ error: 'invalid input' }));
    const error = await client.run('bad', {}, { timeout: 5000, maxRetries: 0 }).catch((e: unknown) => e);
    await serving;
    expect(isDroverError(error, 'TASK_FAILED')).toBe(true);
    expect(error).toBeInstanceOf(TaskFailedError);
    const failed = error as TaskFailedError;
    expect(failed.taskError).toMatchObject({ message: 'invalid input', type: 'ValueError', reason: 'error' });
    expect(failed.cause).toEqual(failed.taskError);
    expect(failed.task.state).toBe('failed');
  });

  it('run() with an idempotency key of a finished task returns that task, and refuses bad input before waiting', async () => {
    const serving = serve('idem', () => ({ result: 'first' }));
    expect(await client.run('idem', 1, { idempotencyKey: 'k1', timeout: 5000 })).toBe('first');
    await serving;
    // Nobody serves 'idem' any more: only the existing task can answer this one.
    expect(await client.run('idem', 2, { idempotencyKey: 'k1', timeout: 2000 })).toBe('first');
    await expect(client.run('idem', 1, { priority: Number.NaN, timeout: 1000 })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
    await expect(client.run('bad queue', 1, { timeout: 1000 })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
  });

  it('run() throws WAIT_TIMEOUT when nobody serves the queue in time', async () => {
    await expect(client.run('nobody', 1, { timeout: 100 })).rejects.toMatchObject({ code: 'WAIT_TIMEOUT' });
  });

  it('enqueue, enqueueMany, get, cancel and stats', async () => {
    const { id } = await client.enqueue('c', { x: 1 }, { priority: 3 });
    const many = await client.enqueueMany('c', [{ payload: 1 }, { payload: 2, options: { idempotencyKey: 'k' } }]);
    expect(many).toHaveLength(2);
    expect(await client.get(id)).toMatchObject({ state: 'pending', payload: { x: 1 } });
    expect(await client.cancel(many[0]!.id)).toEqual({ state: 'cancelled' });
    const stats = await client.stats('c');
    expect(stats.counts).toMatchObject({ pending: 2, cancelled: 1 });
    await expect(client.get('c:unknown')).rejects.toMatchObject({ code: 'TASK_NOT_FOUND' });
    await expect(client.cancel('c:unknown')).rejects.toMatchObject({ code: 'TASK_NOT_FOUND' });
    await expect(client.wait('c:unknown')).rejects.toMatchObject({ code: 'TASK_NOT_FOUND' });
  });

  it('events() yields progress and partial output, then the final task', async () => {
    const { id } = await client.enqueue('stream', 'prompt');
    const task = await claimOne(f.backend, 'stream');
    const seen: string[] = [];
    const reading = (async () => {
      for await (const item of client.events(id)) {
        seen.push(item.type === 'partial' ? `partial:${String(item.data)}` : item.type);
      }
    })();
    await f.backend.progress(task, 0.5);
    await f.backend.partial(task, 'a');
    await f.backend.complete(task, 'done', LEASE);
    await reading;
    expect(seen).toEqual(['progress', 'partial:a', 'final']);
  });

  it('surfaces an unreachable Redis as CONNECTION_ERROR', async () => {
    const dead = new Client({ redis: 'redis://127.0.0.1:1', prefix: f.prefix });
    try {
      const error = await dead.enqueue('q', 1).catch((e: unknown) => e);
      expect(isDroverError(error, 'CONNECTION_ERROR')).toBe(true);
    } finally {
      await dead.close();
    }
  });

  it('validates options and reads the default URL from the environment', () => {
    expect(() => new Client({ redis: 'http://x' })).toThrow(/redis:/);
    expect(() => new Client({ prefix: 'a{b' })).toThrow(/prefix/);
    expect(defaultRedisUrl({ DROVER_REDIS_URL: 'redis://a:1', REDIS_URL: 'redis://b:2' })).toBe('redis://a:1');
    expect(defaultRedisUrl({ REDIS_URL: 'redis://b:2' })).toBe('redis://b:2');
    expect(defaultRedisUrl({})).toBe('redis://127.0.0.1:6379');
  });

  it('accepts an existing connection and leaves it open on close()', async () => {
    const shared = new Client({ redis: f.redis, prefix: f.prefix });
    await shared.enqueue('shared', 1);
    await shared.close();
    expect(await f.redis.ping()).toBe('PONG');
  });
});
