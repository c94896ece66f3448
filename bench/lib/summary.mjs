// The closing table: drover against its peers and floors, as ratios measured in the same run.
import { results } from './measure.mjs';

const fmt = (x, unit) => (x === undefined ? 'n/a' : `${Number.isInteger(x) ? x.toLocaleString('en-US') : x} ${unit}`);

/**
 * Each row: a drover measurement `a` against `b`, `ratio = a / b`; `target` is
 * `{ op: '>=' | '<=', value }` (a goal: PASS/MISS) or absent (context only).
 */
const ROWS = [
  { label: 'long-lived Python vs BullMQ sandboxed', a: 'drover-python', b: 'bullmq-sandboxed', field: 'tasksPerSec', unit: 'tasks/s', target: { op: '>=', value: 3 } },
  { label: 'long-lived Python vs Celery prefork -c 2', a: 'drover-python', b: 'celery-prefork', field: 'tasksPerSec', unit: 'tasks/s', target: { op: '>=', value: 8 } },
  { label: 'long-lived Python vs floor (1 buffered/child)', a: 'drover-python', b: 'floor-redis-buffered', field: 'tasksPerSec', unit: 'tasks/s', target: { op: '>=', value: 0.6 } },
  { label: 'one-shot Python vs spawn-per-task floor', a: 'drover-oneshot-python', b: 'floor-spawn-per-task', field: 'tasksPerSec', unit: 'tasks/s', target: { op: '>=', value: 0.9 } },
  { label: 'latency p50 vs BullMQ in-process', a: 'latency-drover', b: 'latency-bullmq', field: 'p50Ms', unit: 'ms', target: { op: '<=', value: 1 } },
  { label: 'Redis bytes per pending task vs BullMQ', a: 'redis-bytes-drover', b: 'redis-bytes-bullmq', field: 'bytesPerPendingTask', unit: 'B', target: { op: '<=', value: 1 } },
  { label: 'long-lived Python vs BullMQ in-process', a: 'drover-python', b: 'bullmq-inprocess', field: 'tasksPerSec', unit: 'tasks/s' },
  { label: 'long-lived Python vs RQ', a: 'drover-python', b: 'rq', field: 'tasksPerSec', unit: 'tasks/s' },
  { label: 'Python SDK handler vs floor (1 buffered)', a: 'drover-python-sdk', b: 'floor-redis-buffered', field: 'tasksPerSec', unit: 'tasks/s' },
  { label: 'Node SDK handler vs BullMQ sandboxed', a: 'drover-node-sdk', b: 'bullmq-sandboxed', field: 'tasksPerSec', unit: 'tasks/s' },
  { label: 'one-shot Python SDK (run_once) vs plain one-shot Python', a: 'drover-oneshot-python-sdk', b: 'drover-oneshot-python', field: 'tasksPerSec', unit: 'tasks/s' },
  { label: 'long-lived Python: --pipeline auto (default) vs 0', a: 'drover-python', b: 'drover-python-unpipelined', field: 'tasksPerSec', unit: 'tasks/s' },
  { label: 'Redis calls per task: -c 8 (group commit) vs -c 2', a: 'redis-commands-drover-c8', b: 'redis-commands-drover', field: 'callsPerTask', unit: 'calls' },
  { label: 'Redis CPU per task: -c 8 (group commit) vs -c 2', a: 'redis-commands-drover-c8', b: 'redis-commands-drover', field: 'redisCpuUsPerTask', unit: 'µs' },
  { label: 'long-lived Python vs floor (unbuffered)', a: 'drover-python', b: 'floor-redis', field: 'tasksPerSec', unit: 'tasks/s' },
  { label: 'floor (1 buffered) vs bare NDJSON echo', a: 'floor-redis-buffered', b: 'floor-bare-ndjson', field: 'tasksPerSec', unit: 'tasks/s' },
  { label: 'drover batch vs bare NDJSON echo', a: 'drover-batch-python', b: 'floor-bare-ndjson', field: 'tasksPerSec', unit: 'tasks/s' },
  { label: 'drover batch vs in-process Python loop', a: 'drover-batch-python', b: 'floor-python-loop', field: 'tasksPerSec', unit: 'tasks/s' },
  { label: 'latency p99 vs BullMQ in-process', a: 'latency-drover', b: 'latency-bullmq', field: 'p99Ms', unit: 'ms' },
  { label: 'latency p50 vs raw LPUSH/BRPOP ping-pong', a: 'latency-drover', b: 'latency-raw-redis', field: 'p50Ms', unit: 'ms' },
  { label: 'Redis calls per task vs BullMQ', a: 'redis-commands-drover', b: 'redis-commands-bullmq', field: 'callsPerTask', unit: 'calls' },
  { label: 'Redis calls per task vs floor', a: 'redis-commands-drover', b: 'redis-commands-floor', field: 'callsPerTask', unit: 'calls' },
  { label: 'Redis CPU per task vs BullMQ', a: 'redis-commands-drover', b: 'redis-commands-bullmq', field: 'redisCpuUsPerTask', unit: 'µs' },
  { label: 'Redis CPU per task vs floor', a: 'redis-commands-drover', b: 'redis-commands-floor', field: 'redisCpuUsPerTask', unit: 'µs' },
];

function verdict(ratio, target) {
  if (!target) return '';
  const ok = target.op === '>=' ? ratio >= target.value : ratio <= target.value;
  return ok ? 'PASS' : 'MISS';
}

/** Markdown table of every row whose two measurements exist; returns the rows with verdicts. */
export function printSummary(write = (s) => process.stdout.write(s)) {
  const rows = [];
  for (const row of ROWS) {
    const a = results.get(row.a)?.[row.field];
    const b = results.get(row.b)?.[row.field];
    if (a === undefined || b === undefined || !b) continue;
    const ratio = a / b;
    rows.push({ ...row, aValue: a, bValue: b, ratio, result: verdict(ratio, row.target) });
  }
  const lines = [
    '| comparison | drover | peer / floor | ratio | target | result |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) =>
      `| ${r.label} | ${fmt(r.aValue, r.unit)} | ${fmt(r.bValue, r.unit)} | ${r.ratio.toFixed(2)}x | ${r.target ? `${r.target.op} ${r.target.value}x` : ''} | ${r.result} |`,
    ),
  ];
  write(`\n${lines.join('\n')}\n`);
  return rows;
}
