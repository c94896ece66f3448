#!/usr/bin/env node
// Batch throughput of drover against peers measured in the same run, printed as ratios.
//   long-lived: `drover batch -c N -- python3 work.py drover`  vs  one Python process looping
//               over the same inputs (the floor: no supervisor, no IPC), N = 1 and 2.
//   one-shot:   `drover batch --mode oneshot -c N`  vs  `xargs -P N` starting one Python per task.
// Usage: node bench/batch-throughput.mjs [tasks=5000] [oneshotTasks=300]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const work = join(root, 'bench/work.py');
const drover = join(root, 'bin/drover.js');
// The pyenv shim costs ~100 ms per start: resolve the real interpreter once.
const python = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
const tasks = Number(process.argv[2] ?? 5000);
const oneshotTasks = Number(process.argv[3] ?? 300);
const dir = mkdtempSync(join(tmpdir(), 'drover-bench-'));
const input = join(dir, 'in.ndjson');
const oneshotInput = join(dir, 'in-oneshot.ndjson');
writeFileSync(input, Array.from({ length: tasks }, (_, i) => JSON.stringify({ n: 2000, i })).join('\n') + '\n');
writeFileSync(oneshotInput, Array.from({ length: oneshotTasks }, (_, i) => JSON.stringify({ n: 2000, i })).join('\n') + '\n');

function time(label, cmd, args, opts = {}) {
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 1 << 30, ...opts });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${label} exited ${r.status}: ${String(r.stderr).slice(-500)}`);
  const lines = String(r.stdout).split('\n').filter(Boolean).length;
  return { label, ms, lines };
}

function best(runs, fn) {
  let b;
  for (let i = 0; i < runs; i += 1) {
    const r = fn();
    if (!b || r.ms < b.ms) b = r;
  }
  return b;
}

const results = [];
const floor = best(3, () => time('python loop (floor)', python, [work, 'loop'], { input: require_input(input) }));
results.push(floor);
for (const c of [1, 2]) {
  const r = best(3, () => time(`drover batch -c ${c}`, process.execPath, [drover, 'batch', '--log-level', 'warn', '--no-progress', '-c', String(c), '-i', input, '--', python, work, 'drover']));
  results.push({ ...r, ratio: floor.ms / r.ms, vs: 'floor' });
}
const xargs = best(2, () => time('xargs -P 2 (one python per task)', 'sh', ['-c', `tr '\\n' '\\0' < ${oneshotInput} | xargs -0 -P 2 -n 1 ${python} ${work} once`]));
results.push(xargs);
const oneshot = best(2, () => time('drover batch --mode oneshot -c 2', process.execPath, [drover, 'batch', '--log-level', 'warn', '--no-progress', '--mode', 'oneshot', '-c', '2', '-i', oneshotInput, '--', python, work, 'drover']));
results.push({ ...oneshot, ratio: xargs.ms / oneshot.ms, vs: 'xargs' });

console.log(`tasks: ${tasks} (long-lived), ${oneshotTasks} (one-shot); best of 3/2 runs; cores: ${(await import('node:os')).cpus().length}`);
for (const r of results) {
  const n = r.label.includes('oneshot') || r.label.includes('xargs') ? oneshotTasks : tasks;
  const rate = (n / r.ms) * 1000;
  const ratio = r.ratio === undefined ? '' : `  ${r.ratio.toFixed(2)}x the ${r.vs}'s throughput`;
  console.log(`${r.label.padEnd(36)} ${r.ms.toFixed(0).padStart(7)} ms  ${rate.toFixed(0).padStart(7)} tasks/s${ratio}`);
}
rmSync(dir, { recursive: true, force: true });

function require_input(path) {
  return execFileSync('cat', [path]);
}
