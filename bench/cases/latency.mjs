// Latency at low load, one task at a time: enqueue -> result through Client.run (drover run -c 1,
// plain Python echo), BullMQ add + waitUntilFinished (in-process worker), and the floor of any
// Redis queue: a raw LPUSH/BRPOP ping-pong with an in-process responder. The three run
// interleaved, in blocks of BLOCK tasks each, so that a machine that speeds up or slows down
// during the case moves all three alike.
import { Redis } from 'ioredis';
import { Client } from '../../dist/src/index.js';
import { BENCH, now } from '../lib/env.mjs';
import { latency } from '../lib/measure.mjs';
import { bullmqLatencySampler } from '../lib/peers.mjs';
import { startDrover } from '../lib/procs.mjs';
import { deleteMatching, uniquePrefix } from '../lib/redis.mjs';

// Enough for the JIT of every process on the path (supervisor, client, BullMQ worker) to settle:
// 20 left BullMQ cold when the case ran alone and warm after the peers case had run in-process.
const WARMUP = 300;
const BLOCK = 50;

async function droverSampler({ url, python }) {
  const prefix = uniquePrefix('lat');
  const sup = await startDrover({ url, prefix, queue: 'bench', concurrency: 1, handler: [python, `${BENCH}handlers/echo.py`] });
  const client = new Client({ redis: url, prefix });
  let i = 0;
  return {
    async sample() {
      const t = now();
      await client.run('bench', { i: (i += 1) }, { timeout: 5000 });
      return now() - t;
    },
    async close() {
      await client.close();
      await sup.stop();
      await deleteMatching(url, `${prefix}*`);
    },
  };
}

async function rawPingPongSampler({ url }) {
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
  let i = 0;
  return {
    async sample() {
      const t = now();
      await a.lpush(q, String((i += 1)));
      await c.brpop(r, 5);
      return now() - t;
    },
    async close() {
      stop = true;
      await responder;
      a.disconnect(); b.disconnect(); c.disconnect();
      await deleteMatching(url, `${prefix}*`);
    },
  };
}

export async function measure(ctx) {
  const { url, latencyRuns: runs, python } = ctx;
  const contenders = [
    ['latency-drover', await droverSampler({ url, python }), 'Client.run -> drover run -c 1 (plain Python echo) -> result'],
    ['latency-bullmq', await bullmqLatencySampler({ url }), 'BullMQ queue.add + job.waitUntilFinished(QueueEvents), in-process worker, concurrency 1'],
    ['latency-raw-redis', await rawPingPongSampler({ url }), 'raw LPUSH -> BRPOP -> LPUSH -> BRPOP ping-pong (any Redis queue pays this)'],
  ];
  try {
    const times = contenders.map(() => []);
    for (const [, sampler] of contenders) for (let i = 0; i < WARMUP; i += 1) await sampler.sample();
    for (let done = 0; done < runs; done += BLOCK) {
      for (const [k, [, sampler]] of contenders.entries()) {
        for (let i = 0; i < Math.min(BLOCK, runs - done); i += 1) times[k].push(await sampler.sample());
      }
    }
    for (const [k, [name, , what]] of contenders.entries()) latency(name, times[k], { what: `${what}; interleaved in blocks of ${BLOCK}` });
  } finally {
    for (const [, sampler] of contenders) await sampler.close();
  }
}
