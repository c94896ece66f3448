// Measurements: one JSON line per result on stdout, kept by name for the summary.

export const results = new Map();

/** Prints `record` as one JSON line and keeps it for the summary (by `record.name`). */
export function emit(record) {
  results.set(record.name, record);
  process.stdout.write(`${JSON.stringify(record)}\n`);
}

/** Progress and skip notes go to stderr so stdout stays pure JSON lines plus the summary. */
export const note = (text) => process.stderr.write(`# ${text}\n`);

export const round = (x, digits = 1) => (Number.isFinite(x) ? Number(x.toFixed(digits)) : x);

/** p in 0..1, nearest-rank on a sorted copy. */
export function percentile(xs, p) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))];
}

/**
 * Emits the best rate of several timed runs (`ms`, each for `tasks` tasks) with the spread of
 * all runs: the machine is shared, so the best run is the least disturbed one, and the spread
 * shows how disturbed the others were.
 */
export function throughput(name, { tasks, ms, extra = {} }) {
  const rates = ms.map((m) => (tasks / m) * 1000);
  const best = Math.max(...rates);
  const worst = Math.min(...rates);
  const record = {
    kind: 'throughput',
    name,
    tasks,
    tasksPerSec: round(best, 0),
    runsTasksPerSec: rates.map((r) => round(r, 0)),
    spreadPct: round(((best - worst) / best) * 100, 1),
    bestMs: round(Math.min(...ms), 0),
    ...extra,
  };
  emit(record);
  return record;
}

/** Emits p50/p99/mean of a list of per-call latencies (ms). */
export function latency(name, times, extra = {}) {
  const record = {
    kind: 'latency',
    name,
    runs: times.length,
    p50Ms: round(percentile(times, 0.5), 2),
    p99Ms: round(percentile(times, 0.99), 2),
    meanMs: round(times.reduce((a, b) => a + b, 0) / times.length, 2),
    ...extra,
  };
  emit(record);
  return record;
}
