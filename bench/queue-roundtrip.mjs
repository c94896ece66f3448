#!/usr/bin/env node
// drover's Redis path against the floor of any Redis queue, measured in the same run:
//   latency:    sequential client.run() through an idle `drover run` (Python echo handler)
//               vs a raw ping-pong LPUSH -> BRPOP -> LPUSH -> BRPOP (two Redis hops, no work).
//   throughput: N tasks enqueued at once, served with -c 2, until the completed counter reaches N
//               vs the raw floor: N LPUSH, a BRPOP worker loop answering in-process.
// Usage: node bench/queue-roundtrip.mjs [latencyRuns=300] [tasks=5000]   (REDIS_URL or localhost)
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { Client } from '../dist/src/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const python = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
const runs = Number(process.argv[2] ?? 300);
const tasks = Number(process.argv[3] ?? 5000);
const prefix = `bench:${randomBytes(3).toString('hex')}:`;
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)];
const now = () => Number(process.hrtime.bigint()) / 1e6;

async function rawLatency() {
  const a = new Redis(url), b = new Redis(url), c = new Redis(url);
  const q = `${prefix}raw:q`, r = `${prefix}raw:r`;
  let stop = false;
  const worker = (async () => {
    while (!stop) {
      const got = await b.brpop(q, 1);
      if (got) await b.lpush(r, got[1]);
    }
  })();
  const times = [];
  for (let i = 0; i < runs; i += 1) {
    const t = now();
    await a.lpush(q, String(i));
    await c.brpop(r, 5);
    times.push(now() - t);
  }
  stop = true;
  await worker;
  a.disconnect(); b.disconnect(); c.disconnect();
  return times;
}

async function rawThroughput() {
  const a = new Redis(url), b = new Redis(url), c = new Redis(url);
  const q = `${prefix}rawt:q`, r = `${prefix}rawt:r`;
  const t = now();
  await a.lpush(q, ...Array.from({ length: tasks }, (_, i) => JSON.stringify({ i })));
  const worker = (async () => {
    for (let done = 0; done < tasks; done += 1) {
      const [, job] = await b.brpop(q, 5);
      await b.lpush(r, job);
    }
  })();
  for (let got = 0; got < tasks; got += 1) await c.brpop(r, 5);
  await worker;
  const ms = now() - t;
  a.disconnect(); b.disconnect(); c.disconnect();
  return ms;
}

async function droverRun(fn) {
  const sup = spawn(process.execPath, [`${root}bin/drover.js`, 'run', '--redis', url, '--prefix', prefix, '-q', 'bench', '-c', '2', '--log-level', 'info', '--', python, `${root}test/fixtures/handlers/echo.py`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  sup.stderr.on('data', (d) => (log += d));
  while ((log.match(/handler ready/g) ?? []).length < 2) await new Promise((r) => setTimeout(r, 20));
  const client = new Client({ redis: url, prefix });
  try {
    return await fn(client);
  } finally {
    await client.close();
    sup.kill('SIGTERM');
    await new Promise((r) => sup.once('exit', r));
  }
}

const raw = await rawLatency();
const drover = await droverRun(async (client) => {
  const times = [];
  for (let i = 0; i < runs; i += 1) {
    const t = now();
    await client.run('bench', { i }, { timeout: 5000 });
    times.push(now() - t);
  }
  return times;
});
const rawMs = await rawThroughput();
const droverMs = await droverRun(async (client) => {
  const t = now();
  for (let i = 0; i < tasks; i += 500) await client.enqueueMany('bench', Array.from({ length: Math.min(500, tasks - i) }, (_, j) => ({ payload: { i: i + j } })));
  // Drain time: until the queue's completed counter reaches N (a 10 ms stats poll, bench only).
  while ((await client.stats('bench')).totals.completed < tasks) await new Promise((r) => setTimeout(r, 10));
  return now() - t;
});

const cleanup = new Redis(url);
for (let cursor = '0'; ; ) {
  const [next, keys] = await cleanup.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
  if (keys.length) await cleanup.unlink(...keys);
  cursor = next;
  if (cursor === '0') break;
}
cleanup.disconnect();

const line = (label, a, b) => console.log(`${label.padEnd(44)} ${a}`.padEnd(76) + b);
console.log(`redis: ${url}; latency over ${runs} sequential runs; throughput over ${tasks} tasks`);
line('raw LPUSH/BRPOP ping-pong, p50 / p99', `${pct(raw, 0.5).toFixed(2)} / ${pct(raw, 0.99).toFixed(2)} ms`, '');
line('drover client.run (python echo), p50 / p99', `${pct(drover, 0.5).toFixed(2)} / ${pct(drover, 0.99).toFixed(2)} ms`, `${(pct(drover, 0.5) / pct(raw, 0.5)).toFixed(1)}x the raw p50`);
line('raw floor throughput', `${((tasks / rawMs) * 1000).toFixed(0)} tasks/s`, '');
line('drover -c 2 throughput (enqueue, drain)', `${((tasks / droverMs) * 1000).toFixed(0)} tasks/s`, `${(rawMs / droverMs).toFixed(2)}x the raw floor`);
