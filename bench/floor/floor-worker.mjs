#!/usr/bin/env node
// The floor of drover's design: the least a Redis-backed supervisor of pipe-fed handler processes
// must do. Tasks wait in a Redis list as ready-to-send lines; one Lua call stores a result,
// counts it and claims the next task(s); each child (the same plain Python echo handler drover
// runs) has one task in flight, plus `--buffer` more claimed and held here, so a child never
// waits for Redis when one is buffered. No leases, retries, fencing, events or logs.
//
//   node bench/floor/floor-worker.mjs --redis URL --prefix P --queue Q -c 2 --buffer 1 -- python3 echo.py
// Keys: P{Q}:pending (LIST of task lines), P{Q}:done (completed count), P{Q}:r:<id> (results).
// Prints "floor ready" on stderr once every child said ready; SIGTERM stops it.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';

const argv = process.argv.slice(2);
const sep = argv.indexOf('--');
const { values: flags } = parseArgs({
  args: argv.slice(0, sep),
  options: { redis: { type: 'string' }, prefix: { type: 'string' }, queue: { type: 'string' }, c: { type: 'string', short: 'c' }, buffer: { type: 'string' } },
});
const [command, ...args] = argv.slice(sep + 1);
const url = flags.redis ?? 'redis://127.0.0.1:6379';
const base = `${flags.prefix}{${flags.queue}}:`;
const concurrency = Number(flags.c ?? 2);
const buffer = Number(flags.buffer ?? 0);
const keys = { pending: `${base}pending`, done: `${base}done`, result: `${base}r:` };

const redis = new Redis(url);
const blocking = new Redis(url);
redis.defineCommand('completeClaim', { numberOfKeys: 2, lua: readFileSync(new URL('./complete-claim.lua', import.meta.url), 'utf8') });

/** Claims in flight, counted against free room so that two completions never over-claim. */
let reserved = 0;
let stopping = false;
let wakeFetcher;
const children = [];

const room = () => children.reduce((n, c) => n + 1 + buffer - (c.inflight ? 1 : 0) - c.buffered.length, 0) - reserved;

function dispatch(line) {
  const child = children.find((c) => !c.inflight) ?? children.find((c) => c.buffered.length < buffer);
  if (!child.inflight) {
    child.inflight = true;
    child.proc.stdin.write(`${line}\n`);
  } else child.buffered.push(line);
}

async function onReply(child, line) {
  const reply = JSON.parse(line);
  if (reply.status) return; // the ready line
  const next = child.buffered.shift();
  if (next) child.proc.stdin.write(`${next}\n`);
  else child.inflight = false;
  const want = stopping ? 0 : room();
  reserved += want;
  const claimed = await redis.completeClaim(keys.pending, keys.done, reply.task_id, JSON.stringify(reply.result), want, keys.result);
  reserved -= want;
  for (const l of claimed ?? []) dispatch(l);
  if ((claimed?.length ?? 0) < want) wakeFetcher?.();
}

/** When the queue ran dry: block on Redis for the next task (no polling), one room at a time. */
async function fetcher() {
  while (!stopping) {
    if (room() <= 0) {
      await new Promise((r) => (wakeFetcher = r));
      continue;
    }
    reserved += 1;
    const got = await blocking.blpop(keys.pending, 1).catch(() => null);
    reserved -= 1;
    if (got) dispatch(got[1]);
  }
}

let ready = 0;
for (let i = 0; i < concurrency; i += 1) {
  const proc = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const child = { proc, inflight: false, buffered: [] };
  children.push(child);
  createInterface({ input: proc.stdout, crlfDelay: Infinity }).on('line', (line) => {
    if (line.startsWith('{"status"')) {
      ready += 1;
      if (ready === concurrency) {
        process.stderr.write('floor ready\n');
        void fetcher();
      }
      return;
    }
    onReply(child, line).catch((error) => {
      process.stderr.write(`floor: ${error.message}\n`);
      process.exit(1);
    });
  });
}

process.on('SIGTERM', () => {
  stopping = true;
  for (const c of children) c.proc.stdin.end();
  wakeFetcher?.();
  redis.disconnect();
  blocking.disconnect();
  setTimeout(() => process.exit(0), 50);
});
