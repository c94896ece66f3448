import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RedisBackend } from '../../../src/queue/redis/backend.js';
import type { TaskStreamItem } from '../../../src/queue/redis/task-events.js';
import { KeySpace } from '../../../src/queue/redis/keys.js';
import { until } from '../../helpers/handlers.js';
import { connect } from '../../helpers/redis.js';
import { type Fixture, LEASE, claimOne, createFixture, sleep } from './fixture.js';

describe('RedisBackend: waking without polling', () => {
  let f: Fixture;
  beforeEach(() => {
    f = createFixture('wait');
  });
  afterEach(async () => {
    await f.cleanup();
  });

  /** A second backend on its own connection, as another process would have. */
  function other(): RedisBackend {
    const redis = f.track(connect());
    return f.track(new RedisBackend({ redis, prefix: f.prefix }));
  }

  it('wait() resolves promptly when another connection completes the task', async () => {
    const { id } = await f.backend.enqueue('w', 'x');
    const task = await claimOne(f.backend, 'w');
    const redis = f.track(connect());
    const waiter = f.track(new RedisBackend({ redis, prefix: f.prefix }));
    // Connected first: ioredis passes a command queued while connecting through sendCommand
    // again when it sends it, which counted one read twice on a loaded machine.
    await redis.ping();
    const commands = vi.spyOn(redis, 'sendCommand');
    const started = Date.now();
    const waiting = waiter.wait(id, { timeoutMs: 10_000 });
    await sleep(500);
    const completedAt = Date.now();
    await f.backend.complete(task, { answer: 42 });
    const info = await waiting;
    expect(info).toMatchObject({ state: 'completed', result: { answer: 42 } });
    // Woken by the finish, not by the 10 s timeout; the bound is loose for a loaded CI machine.
    expect(Date.now() - completedAt).toBeLessThan(1000);
    expect(Date.now() - started).toBeLessThan(2000);
    // No polling: one read before blocking, one after the wakeup.
    const reads = commands.mock.calls.filter(([cmd]) => (cmd as { name: string }).name === 'hgetall');
    expect(reads).toHaveLength(2);
  });

  it('wait() on an already finished task returns at once; unknown ids throw TASK_NOT_FOUND', async () => {
    const { id } = await f.backend.enqueue('w2', 'x');
    await f.backend.complete(await claimOne(f.backend, 'w2'), 'r');
    expect(await f.backend.wait(id, { timeoutMs: 100 })).toMatchObject({ state: 'completed', result: 'r' });
    await expect(f.backend.wait('w2:missing')).rejects.toMatchObject({ code: 'TASK_NOT_FOUND' });
    await expect(f.backend.wait('garbage')).rejects.toMatchObject({ code: 'TASK_NOT_FOUND' });
  });

  it('wait() throws WAIT_TIMEOUT when the task does not finish in time', async () => {
    const { id } = await f.backend.enqueue('w3', 'x');
    const started = Date.now();
    await expect(f.backend.wait(id, { timeoutMs: 200 })).rejects.toMatchObject({ code: 'WAIT_TIMEOUT' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('wait() keeps waiting across a retry and resolves on the final failure', async () => {
    const { id } = await f.backend.enqueue('w4', 'x', { maxRetries: 1 });
    const waiting = f.backend.wait(id, { timeoutMs: 5000 });
    const err = { message: 'nope', reason: 'error' as const };
    await f.backend.fail(await claimOne(f.backend, 'w4'), { reason: 'error', error: err, retry: true, retryAfterMs: 0 });
    await f.backend.fail(await claimOne(f.backend, 'w4'), { reason: 'error', error: err, retry: true, retryAfterMs: 0 });
    expect(await waiting).toMatchObject({ state: 'failed', retryCount: 2 });
  });

  it('wait() wakes with TASK_NOT_FOUND when the task is deleted meanwhile', async () => {
    const { id } = await f.backend.enqueue('w5', 'x');
    const waiting = f.backend.wait(id, { timeoutMs: 5000 });
    await sleep(50);
    await other().deleteTask(id);
    await expect(waiting).rejects.toMatchObject({ code: 'TASK_NOT_FOUND' });
  });

  it('waitForWork returns within a few ms of an enqueue from another connection', async () => {
    await f.backend.waitForWork(['ww'], 1); // warm the blocking connection
    const started = Date.now();
    const waiting = f.backend.waitForWork(['idle', 'ww'], 10_000).then(() => Date.now());
    await sleep(200);
    const enqueuedAt = Date.now();
    await other().enqueue('ww', 'x');
    const wokeAt = await waiting;
    expect(wokeAt - started).toBeGreaterThanOrEqual(190);
    expect(wokeAt - enqueuedAt).toBeLessThan(1000); // woken by the enqueue, not the 10 s block
    expect(await f.backend.claim('ww', LEASE)).toHaveLength(1);
  });

  it('waitForWork returns at once when work is pending and times out when there is none', async () => {
    await f.backend.enqueue('now', 'x');
    let started = Date.now();
    await f.backend.waitForWork(['now'], 5000);
    expect(Date.now() - started).toBeLessThan(1000); // at once, not after the 5 s block
    await f.backend.claim('now', LEASE);
    started = Date.now();
    await f.backend.waitForWork(['now'], 150);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(Date.now() - started).toBeLessThan(600);
  });

  it('a claim that drained the queue does the next wait-peek itself: stale tokens dropped, no peek call, still woken by a later enqueue', async () => {
    await f.backend.enqueue('dr', 'x'); // pushes a wake token
    expect(await f.backend.claim('dr', { ...LEASE, count: 2 })).toHaveLength(1); // asked 2, got 1: drained
    const commands = vi.spyOn(f.redis, 'sendCommand');
    const names = (): string[] => commands.mock.calls.map(([c]) => (c as { name: string }).name);
    // The token of the claimed task is gone: this wait blocks (no peek) until its timeout.
    let started = Date.now();
    await f.backend.waitForWork(['dr'], 300);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(names()).toEqual([]);

    expect(await f.backend.claim('dr', { ...LEASE, count: 1 })).toEqual([]); // drained again
    commands.mockClear();
    const waiting = f.backend.waitForWork(['dr'], 10_000).then(() => Date.now());
    await sleep(100);
    started = Date.now();
    await other().enqueue('dr', 'y');
    expect((await waiting) - started).toBeLessThan(1000); // woken by the enqueue, not the 10 s block
    expect(names()).toEqual([]);
    // No claim since: the next wait peeks, finds the task and returns at once.
    await f.backend.waitForWork(['dr'], 10_000);
    expect(names()).toEqual(['evalsha']);
  });

  it('waitForWork ends early on an AbortSignal and reuses its blocking call afterwards', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const waiting = f.backend.waitForWork(['ab'], 10_000, controller.signal);
    setTimeout(() => controller.abort(), 100);
    await waiting;
    expect(Date.now() - started).toBeLessThan(500);
    const next = f.backend.waitForWork(['ab'], 10_000).then(() => Date.now());
    await sleep(50);
    const enqueuedAt = Date.now();
    await other().enqueue('ab', 'x');
    expect((await next) - enqueuedAt).toBeLessThan(1000); // woken by the enqueue, not the 10 s block
  });

  it('a busy supervisor whose blocking call is still in flight hands a wake token on to an idle one', async () => {
    // A aborted its wait (its tasks settled and it went to claim), but its BLPOP stays blocked
    // in Redis, ahead of B's. The next enqueue's token goes to A's BLPOP: nobody there waits
    // for it, so it must be pushed back for B, not swallowed until B's 10 s block ends.
    const controller = new AbortController();
    const a = f.backend.waitForWork(['hand'], 10_000, controller.signal);
    await sleep(100);
    controller.abort();
    await a;
    const b = other();
    let woken = false;
    const bWaiting = b.waitForWork(['hand'], 10_000).then(() => (woken = true));
    await sleep(100);
    await other().enqueue('hand', 'x');
    await until(() => woken, 3000, 'the idle supervisor to wake');
    await bWaiting;
  });

  it('wait() gives up with QUEUE_ERROR when the backend is closed', async () => {
    const { id } = await f.backend.enqueue('cl', 'x');
    const redis = f.track(connect());
    const closing = new RedisBackend({ redis, prefix: f.prefix });
    const waiting = closing.wait(id);
    await sleep(50);
    await closing.close();
    await expect(waiting).rejects.toMatchObject({ code: 'QUEUE_ERROR', message: expect.stringContaining('closed') });
  });

  it('waitForWork resolves when a scheduled task becomes due, well before its timeout', async () => {
    await f.backend.enqueue('due', 'x', { delayMs: 300 });
    const started = Date.now();
    await f.backend.waitForWork(['due'], 10_000);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(1000);
    expect(await f.backend.claim('due', LEASE)).toHaveLength(1);
  });

  it('waitForWork notices a newly scheduled task that is due sooner than the wait', async () => {
    const started = Date.now();
    const waiting = f.backend.waitForWork(['due2'], 10_000);
    await sleep(50);
    await other().enqueue('due2', 'x', { delayMs: 200 });
    await waiting; // woken by the new earliest scheduled task
    await f.backend.waitForWork(['due2'], 10_000); // recomputed: sleeps until it is due
    expect(Date.now() - started).toBeLessThan(1500);
    expect(await f.backend.claim('due2', LEASE)).toHaveLength(1);
  });

  it('events() streams progress and partial output, then the final task', async () => {
    const { id } = await f.backend.enqueue('ev', 'x');
    const task = await claimOne(f.backend, 'ev');
    await f.backend.progress(task, 0.1, 'loading');
    const items: TaskStreamItem[] = [];
    const reading = (async () => {
      for await (const item of other().events(id)) items.push(item);
    })();
    await sleep(50);
    await f.backend.partial(task, 'Hel');
    await f.backend.partial(task, 'lo');
    await f.backend.progress(task, 1);
    await f.backend.complete(task, 'Hello');
    await reading;
    expect(items.map((i) => i.type)).toEqual(['progress', 'partial', 'partial', 'progress', 'final']);
    expect(items[0]).toEqual({ type: 'progress', taskId: id, progress: 0.1, message: 'loading' });
    expect(items[2]).toEqual({ type: 'partial', taskId: id, data: 'lo' });
    const last = items[4];
    expect(last?.type === 'final' && last.task.result).toBe('Hello');
  });

  it('events() of a finished task replays and ends; of an unknown task throws TASK_NOT_FOUND', async () => {
    const { id } = await f.backend.enqueue('ev2', 'x');
    const task = await claimOne(f.backend, 'ev2');
    await f.backend.partial(task, 1);
    await f.backend.complete(task, 'done');
    const items: TaskStreamItem[] = [];
    for await (const item of f.backend.events(id)) items.push(item);
    expect(items.map((i) => i.type)).toEqual(['partial', 'final']);
    const tail: TaskStreamItem[] = [];
    for await (const item of f.backend.events(id, { fromStart: false })) tail.push(item);
    expect(tail.map((i) => i.type)).toEqual(['final']);
    await expect(f.backend.events('ev2:nope').next()).rejects.toMatchObject({ code: 'TASK_NOT_FOUND' });
  });

  it('a task that reported nothing and that nobody watched leaves no event stream; a watcher still wakes at once', async () => {
    const { id: quiet } = await f.backend.enqueue('ev3', 'x');
    await f.backend.complete(await claimOne(f.backend, 'ev3'), 'ok');
    expect(await f.redis.exists(new KeySpace(f.prefix).task(quiet)!.events)).toBe(0);

    const { id } = await f.backend.enqueue('ev3', 'y');
    const task = await claimOne(f.backend, 'ev3');
    const items: TaskStreamItem[] = [];
    // blockMs far beyond the test timeout: only the 'end' entry can end this iteration in time.
    const reading = (async () => {
      for await (const item of other().events(id, { blockMs: 600_000 })) items.push(item);
    })();
    await until(async () => (await f.redis.exists(new KeySpace(f.prefix).task(id)!.events)) === 1, 5000, () => 'the watcher to create the stream');
    await f.backend.complete(task, 'late');
    await reading;
    expect(items.map((i) => i.type)).toEqual(['final']);
    // A finished task with no stream ends at once too (no XREAD wait).
    const again: TaskStreamItem[] = [];
    for await (const item of f.backend.events(quiet, { blockMs: 600_000 })) again.push(item);
    expect(again.map((i) => i.type)).toEqual(['final']);
  });
});
