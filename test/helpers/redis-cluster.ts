/**
 * Private Redis servers for tests: a single server with custom flags (startRedisServer) and a
 * real N-master Redis Cluster on free loopback ports (startCluster). Both need `redis-server`
 * (and `redis-cli` for the cluster) on PATH; check with redisServerAvailable() and skip
 * with a clear message when it is missing.
 */
import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './os.js';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface RedisNodeAddress {
  host: string;
  port: number;
}

export interface StartedRedis {
  host: string;
  port: number;
  url: string;
  stop(): Promise<void>;
}

export interface StartedCluster {
  /** Seed nodes for `new Cluster(nodes)`. */
  nodes: RedisNodeAddress[];
  /** `redis://127.0.0.1:<port>` of each master. */
  urls: string[];
  stop(): Promise<void>;
}

function hasBinary(name: string): boolean {
  const res = spawnSync(name, ['--version'], { stdio: 'ignore' });
  return !res.error && res.status === 0;
}

/** True when redis-server and redis-cli can be run. */
export function redisServerAvailable(): boolean {
  return hasBinary('redis-server') && hasBinary('redis-cli');
}

function redisMajorVersion(): number {
  const out = spawnSync('redis-server', ['--version'], { encoding: 'utf8' }).stdout ?? '';
  const match = /v=(\d+)\./.exec(out);
  return match ? Number(match[1]) : 0;
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A free port, and a free cluster bus port (port + 10000 unless cluster-port is supported). */
async function freePorts(cluster: boolean): Promise<{ port: number; bus?: number }> {
  if (!cluster) return { port: await freePort() };
  if (redisMajorVersion() >= 7) return { port: await freePort(), bus: await freePort() };
  for (let i = 0; i < 200; i++) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    if ((await portIsFree(port)) && (await portIsFree(port + 10_000))) return { port };
  }
  throw new Error('no free port pair for a cluster node');
}

async function cli(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { timeout: 10_000 });
  return stdout;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

async function spawnServer(dir: string, extra: string[], cluster: boolean): Promise<{ port: number; child: ChildProcess }> {
  const { port, bus } = await freePorts(cluster);
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  if (cluster) {
    args.push('--cluster-enabled', 'yes', '--cluster-config-file', path.join(dir, `nodes-${port}.conf`));
    if (bus !== undefined) args.push('--cluster-port', String(bus));
  }
  const child = spawn('redis-server', [...args, ...extra], { stdio: 'ignore' });
  children.add(child);
  child.once('exit', () => children.delete(child));
  await until(`redis-server on port ${port}`, async () => (await cli(port, 'ping')).trim() === 'PONG');
  return { port, child };
}

async function stopAll(list: ChildProcess[], dir: string): Promise<void> {
  await Promise.all(
    list.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
  rmSync(dir, { recursive: true, force: true });
}

/** One private redis-server with extra flags, e.g. ['--maxmemory-policy', 'allkeys-lru']. */
export async function startRedisServer(extraArgs: string[] = []): Promise<StartedRedis> {
  const dir = mkdtempSync(path.join(tmpdir(), 'drover-redis-'));
  const { port, child } = await spawnServer(dir, extraArgs, false);
  return { host: '127.0.0.1', port, url: `redis://127.0.0.1:${port}`, stop: () => stopAll([child], dir) };
}

/** A real Redis Cluster of `masters` masters (no replicas), ready when cluster_state is ok. */
export async function startCluster(opts: { masters?: number } = {}): Promise<StartedCluster> {
  const masters = opts.masters ?? 3;
  const dir = mkdtempSync(path.join(tmpdir(), 'drover-cluster-'));
  const started: ChildProcess[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < masters; i++) {
      const { port, child } = await spawnServer(dir, [], true);
      ports.push(port);
      started.push(child);
    }
    await run(
      'redis-cli',
      ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'],
      { timeout: 30_000 },
    );
    for (const port of ports) {
      await until(`cluster_state:ok on ${port}`, async () => (await cli(port, 'cluster', 'info')).includes('cluster_state:ok'));
    }
    return {
      nodes: ports.map((port) => ({ host: '127.0.0.1', port })),
      urls: ports.map((port) => `redis://127.0.0.1:${port}`),
      stop: () => stopAll(started, dir),
    };
  } catch (error) {
    await stopAll(started, dir);
    throw error;
  }
}
