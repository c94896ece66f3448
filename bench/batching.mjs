#!/usr/bin/env node
// Inference batching in the Python SDK, through `drover batch`: throughput of a numpy "model"
// (fixed cost per call + small cost per item, bench/handlers/batch_numpy.py) served with
// @task(batch=32, max_wait_ms=5) against the same model served one task per call (plain @task),
// measured in the same run, plus the wait batching adds to each task (arrival in the SDK ->
// call of the function) p50/p99. Prints one JSON line per configuration, then a summary line.
// Usage: node bench/batching.mjs [tasks=3000] [runs=2]
// Needs Debian's python3-numpy for /usr/bin/python3 (BENCH_PYTHON overrides) and a build (npx tsc -p .).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const drover = join(root, 'bin/drover.js');
const handler = join(root, 'bench/handlers/batch_numpy.py');
const python = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
const tasks = Number(process.argv[2] ?? 3000);
const runs = Number(process.argv[3] ?? 2);
const maxWaitMs = 5;
const dir = mkdtempSync(join(tmpdir(), 'drover-bench-batching-'));
const input = join(dir, 'in.ndjson');
writeFileSync(input, Array.from({ length: tasks }, (_, i) => JSON.stringify({ i })).join('\n') + '\n');

const configs = [
  { label: 'batch=1 (plain @task)', env: { BENCH_BATCH: '1' } },
  { label: `batch=32,max_wait_ms=${maxWaitMs}`, env: { BENCH_BATCH: '32', BENCH_MAX_WAIT_MS: String(maxWaitMs) } },
  { label: `batch=32,max_wait_ms=${maxWaitMs},concurrency=64`, env: { BENCH_BATCH: '32', BENCH_MAX_WAIT_MS: String(maxWaitMs), BENCH_CONCURRENCY: '64' } },
];

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function once(config) {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [drover, 'batch', '--log-level', 'warn', '--no-progress', '-i', input, '--', python, handler], {
    env: { ...process.env, OPENBLAS_NUM_THREADS: '1', ...config.env },
    maxBuffer: 1 << 30,
  });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 0) throw new Error(`${config.label} exited ${r.status}: ${String(r.stderr).slice(-800)}`);
  const results = String(r.stdout)
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line).result);
  if (results.length !== tasks || results.some((x) => x === undefined)) throw new Error(`${config.label}: expected ${tasks} results`);
  // Steady state, from the handler's own clock: first to last reply (no process start-up).
  const done = results.map((x) => x.done_ms).sort((a, b) => a - b);
  const steadyMs = done[done.length - 1] - done[0];
  const waits = results.map((x) => x.waited_ms).sort((a, b) => a - b);
  const meanBatch = results.reduce((sum, x) => sum + x.n, 0) / results.length; // per task: the size of its batch
  return {
    config: config.label,
    tasks,
    wall_ms: Math.round(wallMs),
    tasks_per_s: Math.round((tasks / wallMs) * 1000),
    steady_tasks_per_s: Math.round(((tasks - 1) / steadyMs) * 1000),
    mean_batch_seen_by_a_task: Number(meanBatch.toFixed(1)),
    wait_p50_ms: Number(percentile(waits, 50).toFixed(2)),
    wait_p99_ms: Number(percentile(waits, 99).toFixed(2)),
    wait_max_ms: Number(waits[waits.length - 1].toFixed(2)),
  };
}

const best = {};
try {
  for (let run = 0; run < runs; run += 1) {
    for (const config of configs) {
      const r = once(config);
      console.log(JSON.stringify({ run: run + 1, ...r }));
      if (!best[config.label] || r.steady_tasks_per_s > best[config.label].steady_tasks_per_s) best[config.label] = r;
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const plain = best[configs[0].label];
const batched = best[configs[1].label];
const doubled = best[configs[2].label];
console.log(
  JSON.stringify({
    summary: `best of ${runs} runs, ${tasks} tasks, ${cpus().length} cores`,
    batch1_tasks_per_s: plain.steady_tasks_per_s,
    batch32_tasks_per_s: batched.steady_tasks_per_s,
    ratio: Number((batched.steady_tasks_per_s / plain.steady_tasks_per_s).toFixed(2)),
    ratio_wall: Number((batched.tasks_per_s / plain.tasks_per_s).toFixed(2)),
    ratio_concurrency64: Number((doubled.steady_tasks_per_s / plain.steady_tasks_per_s).toFixed(2)),
    ratio_target: 3,
    wait_p50_ms: batched.wait_p50_ms,
    wait_p99_ms: batched.wait_p99_ms,
    wait_p99_target_ms: maxWaitMs + 5,
  }),
);
