/** Shared set-up for the config tests: config files in a temp dir, and `drover run` started there. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeEach } from 'vitest';
import { Client } from '../../../src/client/client.js';
import { DROVER_BIN } from '../../helpers/cli.js';
import { until } from '../../helpers/handlers.js';
import { cleanupPrefix, connect, REDIS_URL, testPrefix } from '../../helpers/redis.js';
import type { RunningSupervisor } from '../../helpers/supervisor.js';

const dirs = new Set<string>();

/** A fresh directory holding `drover.config.json` (or `name`) with this content; or `dir`, reused. */
export function writeConfig(config: unknown, name = 'drover.config.json', dir?: string): { dir: string; file: string } {
  dir ??= mkdtempSync(join(tmpdir(), 'drover-config-'));
  dirs.add(dir);
  const file = join(dir, name);
  writeFileSync(file, typeof config === 'string' ? config : JSON.stringify(config, null, 2));
  return { dir, file };
}

/** Deletes every directory writeConfig made. */
export function removeConfigDirs(): void {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

const running = new Set<RunningSupervisor>();

/** `drover run --redis $REDIS_URL --prefix PREFIX ARGS` in `cwd` (no command after --). */
export function startRun(prefix: string, args: string[], cwd: string): RunningSupervisor {
  const child = execa(process.execPath, [DROVER_BIN, 'run', '--redis', REDIS_URL, '--prefix', prefix, '--log-level', 'debug', ...args], {
    reject: false,
    cwd,
    buffer: false,
    stdout: 'ignore',
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const run: RunningSupervisor = {
    child,
    log: () => stderr,
    async stop() {
      child.kill('SIGTERM');
      const r = await child;
      running.delete(run);
      return r.exitCode;
    },
    async kill9() {
      child.kill('SIGKILL');
      await child;
      running.delete(run);
    },
  };
  running.add(run);
  return run;
}

export async function stopAllRuns(): Promise<void> {
  await Promise.all([...running].map((r) => r.kill9()));
}

/** Log records (JSON lines) of a run. */
export function records(run: RunningSupervisor): Record<string, unknown>[] {
  return run
    .log()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Resolves once `count` handler processes logged ready (for `handler`, when given). */
export async function whenHandlersReady(run: RunningSupervisor, count: number, handler?: string, timeoutMs = 20_000): Promise<void> {
  const ready = (): number => records(run).filter((r) => r.msg === 'handler ready' && (handler === undefined || r.handler === handler)).length;
  await until(() => ready() >= count, timeoutMs, () => `${count} ready handler(s)${handler ? ` of ${handler}` : ''}:\n${run.log()}`);
}

/** The Redis side of one test of a suite that starts `drover run`: set afresh before each test. */
export interface ConfigRunTest {
  prefix: string;
  client: Client;
}

/**
 * Registers a suite's hooks: before each test a fresh key prefix (`label`) and a Client on it;
 * after it every run killed, the client closed and the prefix cleaned; after all, the config dirs
 * removed. Call it at the top level of the file or of a describe.
 */
export function configRunSuite(label: string): ConfigRunTest {
  const redis = connect();
  const t = {} as ConfigRunTest;
  beforeEach(() => {
    t.prefix = testPrefix(label);
    t.client = new Client({ redis: REDIS_URL, prefix: t.prefix });
  });
  afterEach(async () => {
    await stopAllRuns();
    await t.client.close();
    await cleanupPrefix(redis, t.prefix);
  });
  afterAll(async () => {
    removeConfigDirs();
    await redis.quit();
  });
  return t;
}
