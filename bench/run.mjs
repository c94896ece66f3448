#!/usr/bin/env node
// drover's benchmark suite: drover next to its floors and peers, measured in the same run on the
// same Redis, so the conclusion is a ratio that a slower or busier machine does not change.
// On demand only, never in CI. Build first: npx tsc -p tsconfig.json
//
//   npm run bench                                   # every default case, 20,000 tasks
//   node bench/run.mjs throughput peers --tasks 5000 --runs 2
//
// Cases: throughput floor oneshot peers latency memory (default: all of these), batch (opt-in).
// Options: --tasks N (20000) --runs N (3) --oneshot-tasks N (300) --latency-runs N (500)
//          --pending N (100000) --rq-tasks N (2000) --stats-redis URL|shared (private server)
// Output: one JSON line per measurement on stdout (notes on stderr), then a summary table.
// Redis: REDIS_URL (default redis://127.0.0.1:6379); every contender uses its own key prefix
// and deletes its keys. INFO deltas (memory case) use a private redis-server when available.
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { PYTHON, REDIS_URL, ROOT, machine } from './lib/env.mjs';
import { emit, note, throughput } from './lib/measure.mjs';
import { startPrivateRedis } from './lib/redis.mjs';
import { printSummary } from './lib/summary.mjs';

const THROUGHPUT_CASES = ['throughput', 'floor', 'oneshot', 'peers', 'batch'];
const DIRECT_CASES = ['latency', 'memory'];
const DEFAULT_CASES = ['throughput', 'floor', 'oneshot', 'peers', 'latency', 'memory'];

const { values: opts, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    tasks: { type: 'string', default: '20000' },
    runs: { type: 'string', default: '3' },
    'oneshot-tasks': { type: 'string', default: '300' },
    'latency-runs': { type: 'string', default: '500' },
    pending: { type: 'string', default: '100000' },
    'rq-tasks': { type: 'string', default: '2000' },
    'stats-redis': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (opts.help) {
  process.stdout.write(`usage: node bench/run.mjs [case...] [--tasks N] [--runs N] [--oneshot-tasks N] [--latency-runs N] [--pending N] [--rq-tasks N] [--stats-redis URL|shared]
cases: ${[...DEFAULT_CASES, 'batch'].join(' ')} (default: ${DEFAULT_CASES.join(' ')}; "all" adds batch)\n`);
  process.exit(0);
}

const cases = positionals.length === 0 ? DEFAULT_CASES : positionals.includes('all') ? [...DEFAULT_CASES, 'batch'] : positionals;
for (const c of cases) {
  if (![...THROUGHPUT_CASES, ...DIRECT_CASES].includes(c)) {
    process.stderr.write(`unknown case "${c}"; known: ${[...DEFAULT_CASES, 'batch'].join(' ')}\n`);
    process.exit(2);
  }
}
const positive = (name) => {
  const n = Number(opts[name]);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write(`--${name}: expected a positive integer, got ${opts[name]}\n`);
    process.exit(2);
  }
  return n;
};
if (!existsSync(`${ROOT}dist/src/index.js`)) {
  process.stderr.write('dist/ is missing: build first with `npx tsc -p tsconfig.json`\n');
  process.exit(2);
}

const ctx = {
  url: REDIS_URL,
  python: PYTHON,
  tasks: positive('tasks'),
  runs: positive('runs'),
  oneshotTasks: positive('oneshot-tasks'),
  latencyRuns: positive('latency-runs'),
  pending: positive('pending'),
  rqTasks: positive('rq-tasks'),
};
emit({ kind: 'machine', name: 'machine', ...machine(), redis: REDIS_URL, cases, tasks: ctx.tasks, runs: ctx.runs });

// Throughput contenders run interleaved (round 1 of each, then round 2...), so a burst of other
// work on the shared machine hits all of them alike; each reports its best run and the spread.
const contenders = [];
for (const c of cases.filter((x) => THROUGHPUT_CASES.includes(x))) {
  const mod = await import(`./cases/${c}.mjs`);
  for (const k of mod.contenders(ctx)) contenders.push({ case: c, runs: ctx.runs, ...k, ms: [], cpu: [], error: undefined });
}
const rounds = Math.max(0, ...contenders.map((k) => k.runs));
for (let round = 0; round < rounds; round += 1) {
  for (const k of contenders) {
    if (k.error || round >= k.runs) continue;
    note(`round ${round + 1}/${rounds}: ${k.name} (${k.tasks} tasks)`);
    // One retry: on a shared machine a run can fail for reasons not its own (a rebuild of dist/).
    for (let attempt = 1; attempt <= 2; attempt += 1) {
      try {
        const r = await k.once(round);
        k.ms.push(typeof r === 'number' ? r : r.ms);
        if (typeof r === 'object') k.cpu.push(r);
        break;
      } catch (error) {
        note(`${k.name} failed (attempt ${attempt}/2): ${error.message.slice(0, 500)}`);
        if (attempt === 2) k.error = error.message;
        else await new Promise((r) => setTimeout(r, 5000));
      }
    }
  }
}
/** Means over the runs, per task (µs): time spent enqueueing, CPU of the supervisor process and of its handlers. */
function cpuPerTask(k) {
  const mean = (field) => {
    const xs = k.cpu.map((c) => c[field]).filter((x) => x !== undefined);
    return xs.length ? Math.round((xs.reduce((a, b) => a + b, 0) / xs.length / k.tasks) * 1000) : undefined;
  };
  const sup = mean('supervisorCpuMs');
  const handlers = mean('handlersCpuMs');
  const enqueue = mean('enqueueMs');
  return { ...(enqueue !== undefined ? { enqueueUsPerTask: enqueue } : {}), ...(sup !== undefined ? { supervisorCpuUsPerTask: sup } : {}), ...(handlers !== undefined ? { handlersCpuUsPerTask: handlers } : {}) };
}

for (const k of contenders) {
  if (k.error) emit({ kind: 'throughput', name: k.name, case: k.case, error: k.error });
  else throughput(k.name, { tasks: k.tasks, ms: k.ms, extra: { case: k.case, what: k.what, ...cpuPerTask(k) } });
}

if (cases.includes('latency')) {
  note('latency');
  await (await import('./cases/latency.mjs')).measure(ctx);
}
if (cases.includes('memory')) {
  note('memory');
  let privateRedis;
  if (opts['stats-redis'] === 'shared') ctx.statsUrl = REDIS_URL;
  else if (opts['stats-redis']) ctx.statsUrl = opts['stats-redis'];
  else {
    privateRedis = await startPrivateRedis();
    ctx.statsUrl = privateRedis?.url ?? REDIS_URL;
    if (!privateRedis) note('redis-server not found: INFO deltas taken on the shared Redis (other clients add noise)');
  }
  try {
    await (await import('./cases/memory.mjs')).measure(ctx);
  } finally {
    await privateRedis?.stop();
  }
}

printSummary();
