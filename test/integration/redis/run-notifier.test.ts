import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RedisBackend } from '../../../src/queue/redis/backend.js';
import { createContext } from '../../../src/queue/redis/context.js';
import { MatchedOtherTask, RunNotifier } from '../../../src/queue/redis/run-notifier.js';
import { Subscriber } from '../../../src/queue/redis/subscriber.js';
import { until } from '../../helpers/handlers.js';
import { REDIS_URL } from '../../helpers/redis.js';
import { type Fixture, claimOne, createFixture } from './fixture.js';

describe('client.run: the finish announced on the client notify channel', () => {
  let f: Fixture;
  let waiterRedis: Redis;
  let waiter: RedisBackend;
  const connectionName = `drover-run-notifier-${process.pid}-${Date.now()}`;
  beforeEach(() => {
    f = createFixture('runn');
    waiterRedis = f.track(new Redis(REDIS_URL, { connectionName }));
    waiter = f.track(new RedisBackend({ redis: waiterRedis, prefix: f.prefix }));
  });
  afterEach(async () => {
    await f.cleanup();
  });

  /** Claims the task `id` once it is there, and finishes it with `finish`. */
  async function serve(queue: string, id: string, finish: (task: Awaited<ReturnType<typeof claimOne>>) => Promise<unknown>): Promise<void> {
    await until(async () => (await f.redis.hexists(`${f.prefix}{${queue}}:t:${id}`, 'state')) === 1);
    const task = await claimOne(f.backend, queue);
    expect(task.id).toBe(id);
    await finish(task);
  }

  it('after the first run of a queue: one script call per run, no read, no SUBSCRIBE; a large result is read once', async () => {
    const commands = vi.spyOn(waiterRedis, 'sendCommand');
    const names = (): string[] => commands.mock.calls.map(([c]) => (c as { name: string }).name);
    for (let i = 0; i < 3; i++) {
      commands.mockClear();
      const running = waiter.enqueueAndWait('rn', { i }, { id: `t${i}` }, 10_000);
      await serve('rn', `rn:t${i}`, (t) => f.backend.complete(t, { answer: i }));
      expect(await running).toEqual({ inline: true, result: { answer: i } });
      // The enqueue, and nothing else on the command connection (the first run also connected it).
      if (i > 0) expect(names()).toEqual(['evalsha']);
    }
    // One subscription for the queue, kept; no per-task done channel left behind.
    const channels = (await f.redis.call('PUBSUB', 'CHANNELS', `${f.prefix}*`)) as string[];
    expect(channels).toHaveLength(1);
    expect(channels[0]).toMatch(new RegExp(`^${f.prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\{rn\\}:notify:[0-9a-f]{18}$`));

    commands.mockClear();
    const big = 'x'.repeat(20_000); // over the 16 KiB carried in the message
    const running = waiter.enqueueAndWait('rn', 'x', { id: 'big' }, 10_000);
    await serve('rn', 'rn:big', (t) => f.backend.complete(t, big));
    expect(await running).toMatchObject({ id: 'rn:big', state: 'completed', result: big });
    expect(names()).toEqual(['evalsha', 'hgetall']);
  });

  it('a failed task is read and returned; a deleted one is TASK_NOT_FOUND; an idempotency match names the other task', async () => {
    const failing = waiter.enqueueAndWait('rf', 'x', { id: 'f1', maxRetries: 0 }, 10_000);
    await serve('rf', 'rf:f1', (t) => f.backend.fail(t, { reason: 'error', error: { message: 'boom', reason: 'error' }, retry: false }));
    expect(await failing).toMatchObject({ id: 'rf:f1', state: 'failed', error: { message: 'boom' } });

    const deleted = waiter.enqueueAndWait('rf', 'x', { id: 'd1' }, 10_000);
    await until(async () => (await f.redis.hexists(`${f.prefix}{rf}:t:rf:d1`, 'state')) === 1);
    await f.backend.deleteTask('rf:d1');
    await expect(deleted).rejects.toMatchObject({ code: 'TASK_NOT_FOUND' });

    await f.backend.enqueue('rf', 'first', { id: 'i1', idempotencyKey: 'same' });
    const other = await waiter.enqueueAndWait('rf', 'second', { id: 'i2', idempotencyKey: 'same' }, 10_000);
    expect(other).toBeInstanceOf(MatchedOtherTask);
    expect((other as MatchedOtherTask).id).toBe('rf:i1');
  });

  it('two runs of one caller-chosen id in one client both get the result', async () => {
    const started = Date.now();
    const first = waiter.enqueueAndWait('rd', 'x', { id: 'same' }, 20_000);
    const second = waiter.enqueueAndWait('rd', 'x', { id: 'same' }, 20_000); // matches the first: waits for it
    await serve('rd', 'rd:same', (t) => f.backend.complete(t, 'once'));
    expect(await Promise.all([first, second])).toEqual([
      { inline: true, result: 'once' },
      { inline: true, result: 'once' },
    ]);
    expect(Date.now() - started).toBeLessThan(5000); // both announced, neither found by the 10 s safety read
  });

  it('times out with WAIT_TIMEOUT naming the state; the task keeps running', async () => {
    const started = Date.now();
    await expect(waiter.enqueueAndWait('rt', 'x', { id: 'slow' }, 300)).rejects.toMatchObject({
      code: 'WAIT_TIMEOUT',
      message: expect.stringContaining('(state: pending)') as string,
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(await f.backend.get('rt:slow')).toMatchObject({ state: 'pending' });
  });

  it('a finish that was not announced (a supervisor of an older version) is found by the safety read', async () => {
    const ctx = createContext(waiterRedis, f.prefix);
    const subscriber = new Subscriber(waiterRedis);
    const notifier = new RunNotifier(ctx, subscriber, 1 << 20, 200);
    try {
      const running = notifier.run('rs', 'x', { id: 's1' }, 10_000);
      await serve('rs', 'rs:s1', async (t) => {
        await f.redis.hdel(`${f.prefix}{rs}:t:rs:s1`, 'notify'); // as if enqueued by an older client
        await f.backend.complete(t, 'done');
      });
      expect(await running).toMatchObject({ state: 'completed', result: 'done' });
    } finally {
      subscriber.close();
    }
  });

  it('after the subscriber reconnects, a run reads its task (a message sent meanwhile would be lost)', async () => {
    const running = waiter.enqueueAndWait('rc', 'x', { id: 'c1' }, 8000);
    await serve('rc', 'rc:c1', async (t) => {
      await f.redis.hdel(`${f.prefix}{rc}:t:rc:c1`, 'notify'); // the announcement is "lost"
      await f.backend.complete(t, 'after-reconnect');
    });
    // Kill the waiter's pub/sub connection (ioredis reconnects it).
    const list = String(await f.redis.call('CLIENT', 'LIST', 'TYPE', 'pubsub'));
    const ids = list.split('\n').filter((l) => l.includes(`name=${connectionName}`)).map((l) => /id=(\d+)/.exec(l)![1]!);
    expect(ids.length).toBeGreaterThan(0);
    const started = Date.now();
    for (const id of ids) await f.redis.call('CLIENT', 'KILL', 'ID', id);
    expect(await running).toMatchObject({ state: 'completed', result: 'after-reconnect' });
    expect(Date.now() - started).toBeLessThan(5000); // the re-read, not the 10 s safety read
  });
});
