// Drives the TypeScript Redis backend (dist/) for the Python client tests.
// Usage: node ts_backend.mjs '<program JSON>' where the program is
//   {"redis": url, "cluster": bool, "prefix": p, "ops": [{"op": ..., ...}, ...]}
// and prints one JSON line per op: {"op", "ok": true, "value"} or {"op", "ok": false, "code", "message"}.
import { Cluster, Redis } from 'ioredis';

const root = new URL('../../../../', import.meta.url);
const { RedisBackend } = await import(new URL('dist/src/queue/redis/backend.js', root).href);
const { enqueue } = await import(new URL('dist/src/queue/redis/enqueue.js', root).href);
const { KeySpace } = await import(new URL('dist/src/queue/redis/keys.js', root).href);

const program = JSON.parse(process.argv[2]);
const url = new URL(program.redis);
const redis = program.cluster
  ? new Cluster([{ host: url.hostname, port: Number(url.port || 6379) }])
  : new Redis(program.redis, { maxRetriesPerRequest: 3 });
const backend = new RedisBackend({ redis, prefix: program.prefix });
const claimed = new Map();
const SUPERVISOR = 'py-test-supervisor';

async function claim(op) {
  const deadline = Date.now() + (op.wait_ms ?? 0);
  for (;;) {
    const tasks = await backend.claim(op.queue, { supervisorId: SUPERVISOR, leaseMs: 30_000, count: op.count ?? 1 });
    if (tasks.length > 0 || Date.now() >= deadline) {
      for (const t of tasks) claimed.set(t.id, t);
      return tasks.map((t) => t.id);
    }
    await backend.waitForWork([op.queue], Math.max(1, deadline - Date.now()));
  }
}

/** A task this program claimed; '__claimed__' is the last one. */
function task(id) {
  const t = id === '__claimed__' ? [...claimed.values()].at(-1) : claimed.get(id);
  if (!t) throw new Error(`task ${id} was not claimed by this program`);
  return t;
}

/** The ARGV enqueue.ts passes to enqueue.lua, captured without Redis. */
async function argv(op) {
  let captured;
  const ctx = {
    redis: null,
    keys: new KeySpace(program.prefix),
    scripts: { enqueue: { run: async (_r, _k, _c, args) => { captured = args; return [1, args[0], 'pending']; } } },
  };
  await enqueue(ctx, op.queue, op.payload, op.options);
  return captured.map((a) => (typeof a === 'number' ? String(a) : a));
}

const ops = {
  claim,
  argv,
  progress: (op) => backend.progress(task(op.id), op.value, op.message),
  partial: (op) => backend.partial(task(op.id), op.data),
  complete: async (op) => ({ accepted: (await backend.complete(task(op.id), op.result)).accepted, at: Date.now() }),
  fail: async (op) => (await backend.fail(task(op.id), {
    reason: op.reason ?? 'error', error: { message: op.message, type: op.type, reason: op.reason ?? 'error' }, retry: op.retry ?? false,
  })).state,
  get: (op) => backend.get(op.id),
  stats: (op) => backend.stats(op.queue),
  enqueue: (op) => backend.enqueue(op.queue, op.payload, op.options),
  cancel: (op) => backend.cancel(op.id),
  register: (op) => backend.registerSupervisor({ id: op.id, hostname: 'h', pid: 1, queues: op.queues, concurrency: 1 }, 30_000),
  unregister: (op) => backend.unregisterSupervisor(op.id),
  sleep: (op) => new Promise((resolve) => setTimeout(() => resolve(Date.now()), op.ms)),
};

let status = 0;
try {
  for (const op of program.ops) {
    try {
      const value = await ops[op.op](op);
      process.stdout.write(`${JSON.stringify({ op: op.op, ok: true, value: value ?? null })}\n`);
    } catch (error) {
      process.stdout.write(`${JSON.stringify({ op: op.op, ok: false, code: error.code ?? null, message: String(error.message ?? error) })}\n`);
    }
  }
} catch (error) {
  console.error(error);
  status = 1;
} finally {
  await backend.close();
  redis.disconnect();
}
process.exit(status);
