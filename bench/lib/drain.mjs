// "Enqueue to last result" for Redis-backed contenders: enqueue N tasks, then watch a counter.
import { Redis } from 'ioredis';
import { Client } from '../../dist/src/index.js';
import { now, sleep } from './env.mjs';
import { deleteMatching, uniquePrefix } from './redis.mjs';
import { cpuMeter, startDrover, startProcess } from './procs.mjs';
import { BENCH } from './env.mjs';

export const CHUNK = 1000;
export const QUEUE = 'bench';

/**
 * Tasks a long-running worker process serves before the clock starts (drover, the Redis floor,
 * BullMQ alike): a supervisor in production is warm, and a fresh Node process's first 20,000
 * tasks here ran 15-19% slower than its next (JIT compiling on the same 2 cores). BullMQ's
 * worker runs in the bench's own process, which earlier rounds warmed anyway.
 */
export const WARMUP_TASKS = 2000;

/** Generous bound: a contender that stalls fails the case instead of hanging the suite. */
export const drainTimeoutMs = (tasks) => Math.max(60_000, tasks * 20);

/**
 * Polls `read()` until it returns >= n; returns the number of polls (so the bench can subtract
 * its own commands from INFO commandstats). The wait between polls is 1% of the time elapsed so
 * far, at least `minMs` and at most `maxMs`: the end is seen at most ~1% late, and the polls
 * stay few. A fixed 5 ms cost the bench's process ~0.7 ms of CPU per poll on a 2-core VM (~14%
 * of a core, taken from the contender under test; BullMQ's drain is told by events, not polls).
 */
export async function waitForCount(read, n, { timeoutMs, minMs = 5, maxMs = 100, what = 'completions' }) {
  const start = Date.now();
  const deadline = start + timeoutMs;
  let polls = 0;
  for (;;) {
    polls += 1;
    const got = await read();
    if (got >= n) return polls;
    const now = Date.now();
    if (now > deadline) throw new Error(`timed out: ${got}/${n} ${what}`);
    await sleep(Math.min(maxMs, Math.max(minMs, (now - start) / 100)));
  }
}

const payloads = (from, count) => Array.from({ length: count }, (_, j) => ({ payload: { i: from + j } }));

/** Enqueues `tasks` with Client.enqueueMany in chunks; returns when all are in Redis. */
export async function droverEnqueue(client, tasks, queue = QUEUE) {
  for (let i = 0; i < tasks; i += CHUNK) await client.enqueueMany(queue, payloads(i, Math.min(CHUNK, tasks - i)));
}

/** Reads drover's completed total straight from the stats hash (one HGET, cheaper than stats()). */
export function droverCompleted(redis, prefix, queue = QUEUE) {
  const key = `${prefix}{${queue}}:stats`;
  return async () => {
    const [completed, failed] = await redis.hmget(key, 'completed', 'failed');
    if (Number(failed) > 0) throw new Error(`${failed} tasks failed in ${key}`);
    return Number(completed ?? 0);
  };
}

/**
 * One run through `drover run`: start it and wait until every handler is ready (not timed),
 * then time enqueueMany of `tasks` tiny payloads until the last result is stored. Returns the
 * elapsed ms and the CPU the supervisor (and its long-lived handlers) used meanwhile.
 * `hooks.before/after` (e.g. INFO snapshots) run around the timed part.
 */
export async function droverDrain({ url, tasks, handler, mode = 'long', concurrency = 2, extraArgs = [], tag = 'drover', hooks = {} }) {
  const prefix = uniquePrefix(tag);
  const sup = await startDrover({ url, prefix, queue: QUEUE, concurrency, mode, handler, extraArgs });
  const client = new Client({ redis: url, prefix });
  const poll = new Redis(url);
  // One-shot processes live for one task: there is nothing to warm but the supervisor's spawn path.
  const warmup = mode === 'long' ? Math.min(WARMUP_TASKS, tasks) : 0;
  try {
    if (warmup > 0) {
      await droverEnqueue(client, warmup);
      await waitForCount(droverCompleted(poll, prefix), warmup, { timeoutMs: drainTimeoutMs(warmup), what: 'warm-up completions' });
    }
    await hooks.before?.();
    const cpu = cpuMeter(sup.proc.pid);
    cpu.start();
    const t0 = now();
    await droverEnqueue(client, tasks);
    const enqueueMs = now() - t0;
    const polls = await waitForCount(droverCompleted(poll, prefix), warmup + tasks, { timeoutMs: drainTimeoutMs(tasks) });
    const ms = now() - t0;
    const used = cpu.stop();
    await hooks.after?.({ polls, ms });
    // One-shot handlers are gone before they can be measured: only the supervisor's CPU counts there.
    return { ms, enqueueMs, supervisorCpuMs: used.selfMs, ...(mode === 'long' ? { handlersCpuMs: used.childrenMs } : {}) };
  } finally {
    await client.close();
    poll.disconnect();
    await sup.stop();
    await deleteMatching(url, `${prefix}*`);
  }
}

/** The floor worker (bench/floor/floor-worker.mjs) drained the same way as drover. */
export async function floorDrain({ url, tasks, python, buffer, concurrency = 2, hooks = {} }) {
  const prefix = uniquePrefix(`floor${buffer}`);
  const base = `${prefix}{${QUEUE}}:`;
  const worker = startProcess(process.execPath, [
    `${BENCH}floor/floor-worker.mjs`, '--redis', url, '--prefix', prefix, '--queue', QUEUE, '-c', String(concurrency), '--buffer', String(buffer), '--', python, `${BENCH}handlers/echo.py`,
  ]);
  const redis = new Redis(url);
  const push = async (count, idPrefix) => {
    for (let i = 0; i < count; i += CHUNK) {
      const lines = Array.from({ length: Math.min(CHUNK, count - i) }, (_, j) => JSON.stringify({ task_id: `${idPrefix}:${i + j}`, payload: { i: i + j } }));
      await redis.rpush(`${base}pending`, ...lines);
    }
  };
  const done = async () => Number((await redis.get(`${base}done`)) ?? 0);
  const warmup = Math.min(WARMUP_TASKS, tasks);
  try {
    await worker.waitFor('floor ready');
    await push(warmup, 'warm');
    await waitForCount(done, warmup, { timeoutMs: drainTimeoutMs(warmup), what: 'warm-up completions' });
    await hooks.before?.();
    const cpu = cpuMeter(worker.proc.pid);
    cpu.start();
    const t0 = now();
    await push(tasks, QUEUE);
    const enqueueMs = now() - t0;
    const polls = await waitForCount(done, warmup + tasks, { timeoutMs: drainTimeoutMs(tasks) });
    const ms = now() - t0;
    const used = cpu.stop();
    await hooks.after?.({ polls, ms });
    return { ms, enqueueMs, supervisorCpuMs: used.selfMs, handlersCpuMs: used.childrenMs };
  } finally {
    redis.disconnect();
    await worker.stop();
    await deleteMatching(url, `${prefix}*`);
  }
}
