// Latency at low load, one task at a time: enqueue -> result through Client.run (drover run -c 1,
// plain Python echo), BullMQ add + waitUntilFinished (in-process worker), and the floor of any
// Redis queue: a raw LPUSH/BRPOP ping-pong with an in-process responder.
import { Redis } from 'ioredis';
import { Client } from '../../dist/src/index.js';
import { BENCH, now } from '../lib/env.mjs';
import { latency } from '../lib/measure.mjs';
import { bullmqLatency } from '../lib/peers.mjs';
import { startDrover } from '../lib/procs.mjs';
import { deleteMatching, uniquePrefix } from '../lib/redis.mjs';

const WARMUP = 20;

async function droverLatency({ url, runs, python }) {
  const prefix = uniquePrefix('lat');
  const sup = await startDrover({ url, prefix, queue: 'bench', concurrency: 1, handler: [python, `${BENCH}handlers/echo.py`] });
  const client = new Client({ redis: url, prefix });
  try {
    const times = [];
    for (let i = 0; i < WARMUP + runs; i += 1) {
      const t = now();
      await client.run('bench', { i }, { timeout: 5000 });
      if (i >= WARMUP) times.push(now() - t);
    }
    return times;
  } finally {
    await client.close();
    await sup.stop();
    await deleteMatching(url, `${prefix}*`);
  }
}

async function rawPingPong({ url, runs }) {
  const prefix = uniquePrefix('raw');
  const a = new Redis(url), b = new Redis(url), c = new Redis(url);
  const q = `${prefix}q`, r = `${prefix}r`;
  let stop = false;
  const responder = (async () => {
    while (!stop) {
      const got = await b.brpop(q, 1);
      if (got) await b.lpush(r, got[1]);
    }
  })();
  try {
    const times = [];
    for (let i = 0; i < WARMUP + runs; i += 1) {
      const t = now();
      await a.lpush(q, String(i));
      await c.brpop(r, 5);
      if (i >= WARMUP) times.push(now() - t);
    }
    return times;
  } finally {
    stop = true;
    await responder;
    a.disconnect(); b.disconnect(); c.disconnect();
    await deleteMatching(url, `${prefix}*`);
  }
}

export async function measure(ctx) {
  const { url, latencyRuns: runs, python } = ctx;
  latency('latency-drover', await droverLatency({ url, runs, python }), { what: 'Client.run -> drover run -c 1 (plain Python echo) -> result' });
  latency('latency-bullmq', await bullmqLatency({ url, runs, warmup: WARMUP }), { what: 'BullMQ queue.add + job.waitUntilFinished(QueueEvents), in-process worker, concurrency 1' });
  latency('latency-raw-redis', await rawPingPong({ url, runs }), { what: 'raw LPUSH -> BRPOP -> LPUSH -> BRPOP ping-pong (any Redis queue pays this)' });
}
