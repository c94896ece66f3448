// Peers measured in the same run and on the same Redis: BullMQ, Celery, RQ.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { BENCH, now, pythonWith } from './env.mjs';
import { CHUNK, WARMUP_TASKS, drainTimeoutMs } from './drain.mjs';
import { startProcess } from './procs.mjs';
import { deleteMatching, uniquePrefix } from './redis.mjs';

export const BULLMQ_SANDBOX = `${BENCH}handlers/bullmq-noop.mjs`;

/** ioredis options for BullMQ from a redis:// URL (workers need maxRetriesPerRequest: null). */
export function bullConnection(url) {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    db: Number(u.pathname.slice(1) || 0),
    maxRetriesPerRequest: null,
  };
}

/** A BullMQ queue and worker under a fresh prefix; `processor` is a function or a file (sandboxed). */
export async function openBullmq(url, processor, { concurrency = 2 } = {}) {
  const prefix = uniquePrefix('bullmq').slice(0, -1);
  const connection = bullConnection(url);
  const queue = new Queue('bench', { connection, prefix });
  const worker = new Worker('bench', processor, { connection, prefix, concurrency, useWorkerThreads: false });
  await worker.waitUntilReady();
  let completed = 0;
  const waiters = [];
  worker.on('completed', () => {
    completed += 1;
    while (waiters.length && waiters[0].n <= completed) waiters.shift().resolve();
  });
  worker.on('failed', (job, error) => waiters.forEach((w) => w.reject(new Error(`bullmq job failed: ${error.message}`))));
  return {
    prefix,
    queue,
    worker,
    /** Resolves once `n` jobs completed in total. */
    completedAtLeast(n, timeoutMs) {
      if (completed >= n) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out: ${completed}/${n} bullmq jobs`)), timeoutMs);
        waiters.push({ n, resolve: () => (clearTimeout(timer), resolve()), reject });
      });
    },
    get completed() {
      return completed;
    },
    async add(count, from = 0) {
      for (let i = 0; i < count; i += CHUNK) {
        await queue.addBulk(Array.from({ length: Math.min(CHUNK, count - i) }, (_, j) => ({ name: 'echo', data: { i: from + i + j } })));
      }
    },
    async close() {
      await worker.close();
      await queue.close();
      await deleteMatching(url, `${prefix}:*`);
    },
  };
}

/**
 * BullMQ enqueue-to-last-result: addBulk in chunks, until the worker's `completed` count
 * reaches N. WARMUP_TASKS jobs first (not timed), as for drover and the floor.
 */
export async function bullmqDrain({ url, tasks, processor, hooks = {} }) {
  const b = await openBullmq(url, processor);
  try {
    const warmup = Math.min(WARMUP_TASKS, tasks);
    await b.add(warmup);
    await b.completedAtLeast(warmup, drainTimeoutMs(warmup));
    await hooks.before?.(b);
    const t0 = now();
    await b.add(tasks, warmup);
    await b.completedAtLeast(warmup + tasks, drainTimeoutMs(tasks));
    const ms = now() - t0;
    await hooks.after?.({ ms, polls: 0 });
    return ms;
  } finally {
    await b.close();
  }
}

/**
 * BullMQ latency, one job at a time: add, then job.waitUntilFinished (QueueEvents), in-process
 * worker. Returns a sampler (one timed job per call) and its close().
 */
export async function bullmqLatencySampler({ url }) {
  const b = await openBullmq(url, async (job) => job.data, { concurrency: 1 });
  const events = new QueueEvents('bench', { connection: bullConnection(url), prefix: b.prefix });
  await events.waitUntilReady();
  let i = 0;
  return {
    async sample() {
      const t = now();
      const job = await b.queue.add('echo', { i: (i += 1) });
      await job.waitUntilFinished(events, 5000);
      return now() - t;
    },
    async close() {
      await events.close();
      await b.close();
    },
  };
}

function runPython(python, args, { cwd, env }) {
  return new Promise((resolve, reject) => {
    const proc = spawn(python, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.stderr.on('data', (d) => (err = (err + d).slice(-4000)));
    proc.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop())) : reject(new Error(`${args[0]} exited ${code}: ${err}`))));
  });
}

export const celeryPython = () => pythonWith(['celery', 'redis']);
export const rqPython = () => pythonWith(['rq', 'redis']);

/** Celery prefork -c 2, Redis broker and result backend; the driver (Python) times it. */
export async function celeryDrain({ url, tasks, python }) {
  const prefix = uniquePrefix('celery');
  const env = { BENCH_REDIS_URL: url, BENCH_PREFIX: prefix, BENCH_QUEUE: 'bench', PYTHONDONTWRITEBYTECODE: '1' };
  const cwd = `${BENCH}peers`;
  const worker = startProcess(python, ['-m', 'celery', '-A', 'celery_app', 'worker', '-P', 'prefork', '-c', '2', '-l', 'warning', '--without-gossip', '--without-mingle', '--without-heartbeat', '-n', `bench-${randomBytes(3).toString('hex')}@%h`], { cwd, env });
  try {
    const { ms } = await runPython(python, ['celery_driver.py', String(tasks)], { cwd, env });
    return ms;
  } finally {
    await worker.stop('SIGQUIT'); // cold shutdown: nothing is left to finish
    await deleteMatching(url, `${prefix}*`);
  }
}

/** RQ: `workers` default (fork-per-job) workers; the driver (Python) times it. */
export async function rqDrain({ url, tasks, python, workers = 2 }) {
  const queue = `bench-rq-${randomBytes(4).toString('hex')}`;
  const cwd = `${BENCH}peers`;
  const env = { PYTHONDONTWRITEBYTECODE: '1' };
  const procs = Array.from({ length: workers }, (_, i) =>
    startProcess(python, ['-m', 'rq.cli', 'worker', '-u', url, '-q', '-n', `${queue}-w${i}`, queue], { cwd, env }),
  );
  try {
    const { ms } = await runPython(python, ['rq_driver.py', url, queue, String(tasks), String(workers)], { cwd, env });
    return ms;
  } finally {
    await Promise.all(procs.map((p) => p.stop('SIGTERM')));
    await deleteMatching(url, `rq:*${queue}*`);
    const r = new Redis(url);
    await r.srem('rq:queues', `rq:queue:${queue}`).finally(() => r.disconnect());
  }
}
