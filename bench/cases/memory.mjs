// Memory and Redis cost:
//   - supervisor RSS with 8 idle long-lived handlers (children counted separately);
//   - Redis bytes per pending task: INFO used_memory delta over `--pending` queued tasks;
//   - Redis commands per completed task at steady state: INFO commandstats delta over a drain
//     of N tasks (enqueue included; the bench's own polls and INFO calls subtracted), and the
//     Redis server CPU per task. Commands run inside Lua scripts are counted too.
// Deltas are taken on a private redis-server (ctx.statsUrl) so other users of the shared Redis
// do not pollute them.
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { Client } from '../../dist/src/index.js';
import { BENCH, sleep } from '../lib/env.mjs';
import { droverEnqueue, droverDrain, floorDrain, QUEUE } from '../lib/drain.mjs';
import { emit, round } from '../lib/measure.mjs';
import { openBullmq, bullmqDrain } from '../lib/peers.mjs';
import { descendants, rssKiB, startDrover } from '../lib/procs.mjs';
import { callDelta, deleteMatching, snapshot, uniquePrefix } from '../lib/redis.mjs';

const SCRIPT_COMMANDS = ['evalsha', 'eval', 'evalsha_ro', 'eval_ro', 'fcall', 'fcall_ro'];

async function supervisorRss({ url, python }) {
  const prefix = uniquePrefix('rss');
  const sup = await startDrover({ url, prefix, queue: QUEUE, concurrency: 8, handler: [python, `${BENCH}handlers/echo.py`] });
  try {
    await sleep(2000); // let start-up garbage settle
    const kids = descendants(sup.proc.pid);
    // Besides the handlers, the supervisor keeps a tiny `sh` reaper (kills handler groups if it dies).
    const isHandler = (pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('echo.py');
      } catch {
        return false;
      }
    };
    const sum = (pids) => pids.map(rssKiB).reduce((a, b) => a + b, 0) / 1024;
    const handlers = kids.filter(isHandler);
    const others = kids.filter((k) => !isHandler(k));
    emit({
      kind: 'memory',
      name: 'drover-rss-8-idle',
      what: 'drover run -c 8, 8 idle plain Python echo handlers',
      supervisorMiB: round(rssKiB(sup.proc.pid) / 1024, 1),
      handlersMiB: round(sum(handlers), 1),
      perHandlerMiB: round(sum(handlers) / Math.max(1, handlers.length), 1),
      handlers: handlers.length,
      otherChildrenMiB: round(sum(others), 1),
      otherChildren: others.length,
    });
  } finally {
    await sup.stop();
    await deleteMatching(url, `${prefix}*`);
  }
}

/** used_memory delta / n while `enqueue()` queues n tasks that nobody consumes; also the calls per enqueue. */
async function bytesPerPending(name, what, statsRedis, n, enqueue, cleanup) {
  await sleep(200);
  const before = await snapshot(statsRedis);
  await enqueue();
  const after = await snapshot(statsRedis);
  await cleanup();
  const calls = callDelta(before, after, { info: 1 });
  const total = Object.values(calls).reduce((a, b) => a + b, 0);
  emit({
    kind: 'redis-memory',
    name,
    what,
    pending: n,
    bytesPerPendingTask: round((after.usedMemory - before.usedMemory) / n, 0),
    enqueueCallsPerTask: round(total / n, 2),
  });
}

/** Runs `drain(hooks)` with INFO snapshots around the timed part; emits calls and Redis CPU per task. */
async function commandsPerTask(name, what, statsRedis, tasks, drain, pollCommand) {
  let before;
  let delta;
  let cpu;
  await drain({
    before: async () => {
      before = await snapshot(statsRedis);
    },
    after: async ({ polls }) => {
      const after = await snapshot(statsRedis);
      delta = callDelta(before, after, { info: 1, ...(pollCommand ? { [pollCommand]: polls } : {}) });
      cpu = after.cpu - before.cpu;
    },
  });
  const total = Object.values(delta).reduce((a, b) => a + b, 0);
  const scripts = SCRIPT_COMMANDS.reduce((a, c) => a + (delta[c] ?? 0), 0);
  const top = Object.entries(delta)
    .sort((a, b) => b[1] - a[1])
    .map(([cmd, n]) => [cmd, round(n / tasks, 2)]);
  emit({
    kind: 'redis-commands',
    name,
    what,
    tasks,
    callsPerTask: round(total / tasks, 2),
    scriptCallsPerTask: round(scripts / tasks, 2),
    redisCpuUsPerTask: round((cpu * 1e6) / tasks, 1),
    perTask: Object.fromEntries(top),
  });
}

export async function measure(ctx) {
  const { url, statsUrl, python, pending, tasks } = ctx;
  await supervisorRss({ url, python });

  const statsRedis = new Redis(statsUrl);
  try {
    // Bytes per pending task.
    const dprefix = uniquePrefix('mem');
    const client = new Client({ redis: statsUrl, prefix: dprefix });
    await bytesPerPending('redis-bytes-drover', 'drover Client.enqueueMany, {i} payloads', statsRedis, pending,
      () => droverEnqueue(client, pending), async () => {
        await client.close();
        await deleteMatching(statsUrl, `${dprefix}*`);
      });
    const bull = await openBullmq(statsUrl, async (job) => job.data);
    await bull.worker.pause(true); // nothing is consumed: the jobs stay waiting
    await bytesPerPending('redis-bytes-bullmq', 'BullMQ queue.addBulk, {i} data, default options', statsRedis, pending,
      () => bull.add(pending), () => bull.close());

    // Commands per completed task.
    const handler = [python, `${BENCH}handlers/echo.py`];
    await commandsPerTask('redis-commands-drover', 'drover run -c 2, plain Python echo; enqueue included', statsRedis, tasks,
      (hooks) => droverDrain({ url: statsUrl, tasks, handler, tag: 'cmds', hooks }), 'hmget');
    // From 4 handler slots the supervisor commits completions in groups (completion-batcher.ts).
    await commandsPerTask('redis-commands-drover-c8', 'drover run -c 8 (group commit), plain Python echo; enqueue included', statsRedis, tasks,
      (hooks) => droverDrain({ url: statsUrl, tasks, handler, concurrency: 8, tag: 'cmds8', hooks }), 'hmget');
    await commandsPerTask('redis-commands-bullmq', 'BullMQ in-process worker, concurrency 2; addBulk included', statsRedis, tasks,
      (hooks) => bullmqDrain({ url: statsUrl, tasks, processor: async (job) => job.data, hooks }));
    await commandsPerTask('redis-commands-floor', 'floor, 1 buffered per child; RPUSH of 1000 lines included', statsRedis, tasks,
      (hooks) => floorDrain({ url: statsUrl, tasks, python, buffer: 1, hooks }), 'get');
  } finally {
    statsRedis.disconnect();
  }
}
