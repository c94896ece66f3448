// Redis helpers: unique prefixes, cleanup, INFO snapshots, a private server for INFO deltas.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { sleep } from './env.mjs';

export const uniquePrefix = (tag) => `bench-${tag}-${randomBytes(4).toString('hex')}:`;

/** Deletes every key that starts with one of `patterns` (SCAN MATCH, never KEYS). */
export async function deleteMatching(url, ...patterns) {
  const r = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 2 });
  try {
    for (const pattern of patterns) {
      for (let cursor = '0'; ; ) {
        const [next, keys] = await r.scan(cursor, 'MATCH', pattern, 'COUNT', 2000);
        if (keys.length) await r.unlink(...keys);
        cursor = next;
        if (cursor === '0') break;
      }
    }
  } finally {
    r.disconnect();
  }
}

function parseInfo(text) {
  const out = {};
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** used_memory, CPU seconds and per-command call counts of the server, for deltas. */
export async function snapshot(redis) {
  const info = parseInfo(await redis.info('all'));
  const calls = {};
  for (const [k, v] of Object.entries(info)) {
    if (k.startsWith('cmdstat_')) calls[k.slice(8)] = Number(/calls=(\d+)/.exec(v)[1]);
  }
  return {
    usedMemory: Number(info.used_memory),
    cpu: Number(info.used_cpu_user) + Number(info.used_cpu_sys),
    calls,
  };
}

/**
 * Calls made between two snapshots, minus what the bench itself sent (`own`: {command: n},
 * e.g. its completion polls and the INFO calls themselves).
 */
export function callDelta(before, after, own = {}) {
  const delta = {};
  for (const [cmd, n] of Object.entries(after.calls)) {
    const d = n - (before.calls[cmd] ?? 0) - (own[cmd] ?? 0);
    if (d > 0) delta[cmd] = d;
  }
  return delta;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * A private redis-server (no persistence) so that INFO deltas (memory, commandstats, CPU) are
 * not polluted by other users of the shared Redis. Undefined when redis-server is missing.
 */
export async function startPrivateRedis() {
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) return undefined;
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory-policy', 'noeviction'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined); // refused until the server listens: retried below
  for (let i = 0; ; i += 1) {
    try {
      await probe.connect();
      await probe.ping();
      break;
    } catch (error) {
      if (i > 100) throw new Error(`private redis-server on ${port} did not start: ${error.message}`);
      await sleep(50);
    }
  }
  probe.disconnect();
  return {
    url,
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => (proc.exitCode !== null ? r() : proc.once('exit', r)));
    },
  };
}
