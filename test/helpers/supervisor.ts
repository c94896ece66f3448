import { readFileSync } from 'node:fs';
import { execa, type ResultPromise } from 'execa';
import { DROVER_BIN } from './cli.js';
import { REDIS_URL } from './redis.js';
import { ROOT, until } from './handlers.js';

export interface RunningSupervisor {
  child: ResultPromise;
  /** stderr so far (JSON log lines). */
  log(): string;
  /** SIGTERM, then wait for exit. */
  stop(): Promise<number | undefined>;
  kill9(): Promise<void>;
}

const running = new Set<RunningSupervisor>();

/** Start `drover run` as a real process against the test Redis, with its own key prefix. */
export function startSupervisor(prefix: string, args: string[], handler: string[], env: Record<string, string> = {}, redisUrl = REDIS_URL): RunningSupervisor {
  const child = execa(process.execPath, [DROVER_BIN, 'run', '--redis', redisUrl, '--prefix', prefix, '--log-level', 'debug', ...args, '--', ...handler], {
    reject: false,
    cwd: ROOT,
    env,
    buffer: false,
    stdout: 'ignore',
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const sup: RunningSupervisor = {
    child,
    log: () => stderr,
    async stop() {
      child.kill('SIGTERM');
      const r = await child;
      running.delete(sup);
      return r.exitCode;
    },
    async kill9() {
      child.kill('SIGKILL');
      await child;
      running.delete(sup);
    },
  };
  running.add(sup);
  return sup;
}

/** Kill whatever a test left running. */
export async function stopAllSupervisors(): Promise<void> {
  await Promise.all([...running].map((s) => s.kill9()));
}

/** Resolves once the supervisor logged that its handler is ready. */
export async function whenReady(sup: RunningSupervisor, timeoutMs = 15_000): Promise<void> {
  await until(() => sup.log().includes('"handler ready"'), timeoutMs, () => `the supervisor to be ready:\n${sup.log()}`);
}

/** Task ids in the order record.py started them (one "<task_id> <pid>" line each). */
export function executions(recordFile: string): string[] {
  try {
    return readFileSync(recordFile, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ')[0]!);
  } catch {
    return [];
  }
}

/** Resolves once record.py has started `taskId` (or `count` tasks in all). */
export async function whenStarted(recordFile: string, target: { taskId?: string; count?: number }, timeoutMs = 10_000): Promise<void> {
  await until(
    () => {
      const ran = executions(recordFile);
      return target.taskId !== undefined ? ran.includes(target.taskId) : ran.length >= (target.count ?? 1);
    },
    timeoutMs,
    `record.py to start ${JSON.stringify(target)}`,
  );
}
