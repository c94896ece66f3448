/**
 * The soak run shared by test/faults/soak.test.ts (CI size) and bench/soak.mjs (on demand):
 * N tasks through S real `drover run` supervisors whose Python handler
 * (test/fixtures/faults/soak-handler.py) crashes, hangs or fails on purpose at given rates.
 * At the end every task must be accounted for: completed + dead = enqueued, none left
 * pending/scheduled/active, each completed result right, each task executed at least once.
 * Duplicated executions (at-least-once) are counted from the handler's record of executions.
 *
 * Build first (`npx tsc -p tsconfig.json`): this runs bin/drover.js and imports dist/.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { Client } from '../../dist/src/index.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DROVER_BIN = path.join(ROOT, 'bin', 'drover.js');
const HANDLER = path.join(ROOT, 'test', 'fixtures', 'faults', 'soak-handler.py');
const QUEUE = 'soak';
/** Tasks per enqueueMany pipeline. */
const ENQUEUE_BATCH = 1000;
/** Stderr kept per supervisor, for the error message of a failed run. */
const LOG_TAIL_CHARS = 20_000;

/** Defaults of every option (types and docs: soak.d.mts). */
export const DEFAULT_SOAK_OPTIONS = {
  tasks: 20_000,
  supervisors: 2,
  concurrency: 4,
  crashRate: 0.01,
  hangRate: 0.005,
  failRate: 0.001,
  timeoutMs: 1000,
  maxRetries: 3,
  retryDelayMs: 50,
  cancelGraceMs: 200,
  killGraceMs: 200,
  deadlineMs: 170_000,
  seed: 'soak',
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
};

/** The real interpreter behind a `python3` shim (a pyenv shim costs ~100 ms per start). */
function defaultPython() {
  return process.env.DROVER_TEST_PYTHON ?? 'python3';
}

function rate(name, value) {
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) throw new TypeError(`${name}: expected a number in [0, 1), got ${value}`);
  return value;
}

function count(name, value, min) {
  if (!Number.isInteger(value) || value < min) throw new TypeError(`${name}: expected an integer >= ${min}, got ${value}`);
  return value;
}

/** Checks and completes the options; throws a TypeError naming the bad one. */
export function normalizeSoakOptions(options = {}) {
  const o = { ...DEFAULT_SOAK_OPTIONS, python: defaultPython(), ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
  for (const name of ['tasks', 'supervisors', 'concurrency']) count(name, o[name], 1);
  for (const name of ['maxRetries', 'retryDelayMs', 'cancelGraceMs', 'killGraceMs']) count(name, o[name], 0);
  for (const name of ['timeoutMs', 'deadlineMs']) count(name, o[name], 1);
  for (const name of ['crashRate', 'hangRate', 'failRate']) rate(name, o[name]);
  if (o.crashRate + o.hangRate + o.failRate >= 1) throw new TypeError('crashRate + hangRate + failRate: expected less than 1');
  return o;
}

function startSupervisor(o, prefix, recordFile, index) {
  const args = [
    DROVER_BIN, 'run', '--redis', o.redisUrl, '--prefix', prefix, '-q', QUEUE, '-c', String(o.concurrency),
    '--cancel-grace', `${o.cancelGraceMs}ms`, '--kill-grace', `${o.killGraceMs}ms`, '--log-level', 'warn',
    '--', o.python, HANDLER,
  ];
  const env = {
    ...process.env,
    SOAK_RECORD: recordFile,
    SOAK_SEED: o.seed,
    SOAK_CRASH_RATE: String(o.crashRate),
    SOAK_HANG_RATE: String(o.hangRate),
    SOAK_FAIL_RATE: String(o.failRate),
  };
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let tail = '';
  child.stderr.on('data', (d) => {
    tail = (tail + d.toString('utf8')).slice(-LOG_TAIL_CHARS);
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { index, child, exited, tail: () => tail };
}

async function stopSupervisor(sup, graceMs) {
  if (sup.child.exitCode !== null || sup.child.signalCode !== null) return sup.exited;
  sup.child.kill('SIGTERM');
  const timer = setTimeout(() => sup.child.kill('SIGKILL'), graceMs);
  const exit = await sup.exited;
  clearTimeout(timer);
  return exit;
}

async function enqueueAll(client, o) {
  const ids = [];
  const options = { maxRetries: o.maxRetries, timeoutMs: o.timeoutMs, backoff: { type: 'fixed', baseMs: o.retryDelayMs, jitter: false } };
  for (let start = 0; start < o.tasks; start += ENQUEUE_BATCH) {
    const items = [];
    // Ids from the task number: with the same seed, a run repeats the same crashes, hangs and failures.
    for (let n = start; n < Math.min(o.tasks, start + ENQUEUE_BATCH); n += 1) items.push({ payload: { n }, options: { ...options, id: String(n) } });
    for (const r of await client.enqueueMany(QUEUE, items)) ids.push(r.id);
  }
  return ids;
}

/** Waits until the queue's totals say every task ended (completed or dead). */
async function waitForTotals(client, o, deadline, supervisors) {
  for (;;) {
    const s = await client.stats(QUEUE);
    o.onProgress?.({ completed: s.totals.completed, dead: s.totals.failed, counts: s.counts });
    if (s.totals.completed + s.totals.failed >= o.tasks) return s;
    const gone = supervisors.find((sup) => sup.child.exitCode !== null || sup.child.signalCode !== null);
    if (gone) throw new Error(`supervisor ${gone.index} exited early (code ${gone.child.exitCode}, signal ${gone.child.signalCode}):\n${gone.tail()}`);
    if (Date.now() > deadline) {
      throw new Error(`soak did not finish within ${o.deadlineMs} ms: ${JSON.stringify({ totals: s.totals, counts: s.counts })}\nsupervisor 0 log tail:\n${supervisors[0]?.tail()}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The final state and result of every task (in chunks of concurrent reads). */
async function readTasks(client, ids) {
  const out = [];
  for (let i = 0; i < ids.length; i += 500) out.push(...(await Promise.all(ids.slice(i, i + 500).map((id) => client.get(id)))));
  return out;
}

/** Parses the handler's record: one "<task_id> <retry_count> <action> <pid>" line per execution. */
export function readExecutions(recordFile) {
  let text = '';
  try {
    text = readFileSync(recordFile, 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter(Boolean).map((line) => {
    const [id, retry, action, pid] = line.split(' ');
    return { id, retryCount: Number(retry), action, pid: Number(pid) };
  });
}

/** Execution counts: duplicates are executions beyond the first of a task (at-least-once). */
export function summarizeExecutions(executions) {
  const perTask = new Map();
  const perAttempt = new Set();
  const actions = { ok: 0, crash: 0, hang: 0, fail: 0 };
  let sameAttemptDuplicates = 0;
  for (const e of executions) {
    perTask.set(e.id, (perTask.get(e.id) ?? 0) + 1);
    const key = `${e.id} ${e.retryCount}`;
    if (perAttempt.has(key)) sameAttemptDuplicates += 1;
    perAttempt.add(key);
    actions[e.action] = (actions[e.action] ?? 0) + 1;
  }
  return {
    executions: executions.length,
    tasksExecuted: perTask.size,
    duplicates: executions.length - perTask.size,
    sameAttemptDuplicates,
    maxExecutionsOfOneTask: Math.max(0, ...perTask.values()),
    actions,
    perTask,
  };
}

/**
 * Runs one soak and returns its summary. Throws when a supervisor dies or the deadline passes;
 * the accounting itself is returned (`problems` lists every broken invariant) so that the
 * caller asserts on it.
 */
export async function runSoak(options = {}) {
  const o = normalizeSoakOptions(options);
  const prefix = `drover-soak:${randomBytes(4).toString('hex')}:`;
  const dir = mkdtempSync(path.join(tmpdir(), 'drover-soak-'));
  const recordFile = path.join(dir, 'executions.txt');
  const client = new Client({ redis: o.redisUrl, prefix });
  const started = Date.now();
  const deadline = started + o.deadlineMs;
  const supervisors = [];
  try {
    await client.setQueueDefaults(QUEUE, { keepCompleted: o.tasks, keepFailed: o.tasks });
    for (let i = 0; i < o.supervisors; i += 1) supervisors.push(startSupervisor(o, prefix, recordFile, i));
    const ids = await enqueueAll(client, o);
    const enqueuedMs = Date.now() - started;
    const stats = await waitForTotals(client, o, deadline, supervisors);
    const drainedMs = Date.now() - started;
    const exits = await Promise.all(supervisors.map((s) => stopSupervisor(s, 10_000)));
    const tasks = await readTasks(client, ids);
    const after = await client.stats(QUEUE);
    const executions = summarizeExecutions(readExecutions(recordFile));

    const problems = [];
    const byState = {};
    let wrongResults = 0;
    let neverExecuted = 0;
    for (const [i, t] of tasks.entries()) {
      const state = t?.state ?? 'missing';
      byState[state] = (byState[state] ?? 0) + 1;
      if (state === 'completed' && t.result?.n2 !== 2 * i) wrongResults += 1;
      if (!executions.perTask.has(ids[i])) neverExecuted += 1;
    }
    const completed = byState.completed ?? 0;
    const dead = byState.failed ?? 0;
    if (completed + dead !== o.tasks) problems.push(`completed ${completed} + dead ${dead} != enqueued ${o.tasks}: ${JSON.stringify(byState)}`);
    for (const state of ['pending', 'scheduled', 'active']) {
      if (after.counts[state] !== 0) problems.push(`${after.counts[state]} task(s) still ${state}`);
    }
    if (after.totals.completed !== completed || after.totals.failed !== dead) {
      problems.push(`queue totals ${JSON.stringify(after.totals)} disagree with the tasks (completed ${completed}, dead ${dead})`);
    }
    if (wrongResults > 0) problems.push(`${wrongResults} completed task(s) with a wrong result`);
    if (neverExecuted > 0) problems.push(`${neverExecuted} task(s) never reached a handler`);
    exits.forEach((e, i) => {
      if (e.code !== 0) problems.push(`supervisor ${i} exited with ${JSON.stringify(e)} after SIGTERM`);
    });
    if (stats.totals.completed + stats.totals.failed > o.tasks) problems.push(`more tasks ended than were enqueued: ${JSON.stringify(stats.totals)}`);

    const { perTask: _perTask, ...executionCounts } = executions;
    return {
      tasks: o.tasks,
      supervisors: o.supervisors,
      concurrency: o.concurrency,
      rates: { crash: o.crashRate, hang: o.hangRate, fail: o.failRate },
      enqueued: ids.length,
      completed,
      dead,
      retried: after.totals.retried,
      failuresByReason: after.failuresByReason,
      staleRepliesDropped: after.totals.staleReplies,
      ...executionCounts,
      enqueueMs: enqueuedMs,
      drainMs: drainedMs,
      tasksPerSecond: Math.round((o.tasks / drainedMs) * 1000),
      problems,
    };
  } finally {
    await Promise.all(supervisors.map((s) => stopSupervisor(s, 5000)));
    await client.close();
    await cleanup(o.redisUrl, prefix);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Deletes every key under the run's prefix (SCAN, never KEYS). */
async function cleanup(redisUrl, prefix) {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
