import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { until } from '../../helpers/handlers.js';
import { freePort } from '../../helpers/os.js';

/**
 * A private redis-server on a spare loopback port with an fsync-always AOF, that a test can
 * crash (SIGKILL) or stop (SIGTERM) and start again on the same port and data.
 */
export interface CrashableRedis {
  url: string;
  /** Stop it with `signal` and wait for the exit. */
  down(signal: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Start it again (same port, same AOF) and wait until it answers. */
  up(): Promise<void>;
  close(): Promise<void>;
}

async function answers(url: string): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 500 });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

export async function startCrashableRedis(): Promise<CrashableRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'drover-fault-redis-'));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const up = async (): Promise<void> => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir];
    const started = spawn('redis-server', args, { stdio: 'ignore' });
    const reap = (): void => void started.kill('SIGKILL'); // never outlive the test worker
    process.once('exit', reap);
    started.once('exit', () => process.off('exit', reap));
    child = started;
    await until(() => answers(url), 10_000, `redis-server on port ${port}`, 50);
  };
  const down = async (signal: 'SIGTERM' | 'SIGKILL'): Promise<void> => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill(signal);
    });
  };
  await up();
  return {
    url,
    down,
    up,
    async close() {
      await down('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
