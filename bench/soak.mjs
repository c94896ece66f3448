#!/usr/bin/env node
// Soak: many tasks through several `drover run` supervisors whose Python handler crashes, hangs
// and fails on purpose; checks that every task is accounted for and counts duplicated executions.
// The CI-sized run is test/faults/soak.test.ts; both use bench/lib/soak.mjs.
// Usage: node bench/soak.mjs [--tasks 100000] [--supervisors 2] [--concurrency 4]
//          [--crash-rate 0.01] [--hang-rate 0.005] [--fail-rate 0.001] [--timeout-ms 1000]
//          [--max-retries 3] [--deadline-ms 3600000] [--seed soak]          (REDIS_URL or localhost)
// Prints one JSON summary line on stdout (progress on stderr); exits 1 when an invariant broke.
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { runSoak } from './lib/soak.mjs';

const { values } = parseArgs({
  options: {
    tasks: { type: 'string', default: '100000' },
    supervisors: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '4' },
    'crash-rate': { type: 'string', default: '0.01' },
    'hang-rate': { type: 'string', default: '0.005' },
    'fail-rate': { type: 'string', default: '0.001' },
    'timeout-ms': { type: 'string', default: '1000' },
    'max-retries': { type: 'string', default: '3' },
    'deadline-ms': { type: 'string', default: '3600000' },
    seed: { type: 'string', default: String(Date.now()) },
  },
});

const python = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
let lastPrint = 0;
const summary = await runSoak({
  tasks: Number(values.tasks),
  supervisors: Number(values.supervisors),
  concurrency: Number(values.concurrency),
  crashRate: Number(values['crash-rate']),
  hangRate: Number(values['hang-rate']),
  failRate: Number(values['fail-rate']),
  timeoutMs: Number(values['timeout-ms']),
  maxRetries: Number(values['max-retries']),
  deadlineMs: Number(values['deadline-ms']),
  seed: values.seed,
  python,
  onProgress: ({ completed, dead, counts }) => {
    if (Date.now() - lastPrint < 2000) return;
    lastPrint = Date.now();
    process.stderr.write(`soak: ${completed} completed, ${dead} dead, ${counts.pending} pending, ${counts.active} active, ${counts.scheduled} scheduled\n`);
  },
});
process.stdout.write(`${JSON.stringify({ ...summary, seed: values.seed })}\n`);
process.exitCode = summary.problems.length === 0 ? 0 : 1;
