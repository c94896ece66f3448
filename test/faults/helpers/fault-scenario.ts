import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect } from 'vitest';
import { Client } from '../../../src/client/client.js';
import type { TaskInfo } from '../../../src/queue/redis/task-info.js';
import { PYTHON } from '../../helpers/handlers.js';
import { cleanupPrefix, connect, REDIS_URL, testPrefix } from '../../helpers/redis.js';
import { startSupervisor, stopAllSupervisors, type RunningSupervisor } from '../../helpers/supervisor.js';
import { childPids, handlerStarts, runsOf } from './fault-records.js';
import { survivors } from './fault-procs.js';

export const WORKER = fileURLToPath(new URL('../../fixtures/faults/worker.py', import.meta.url));

/** One fault test: its own key prefix, client, record files and supervisors of worker.py. */
export interface FaultScenario {
  prefix: string;
  client: Client;
  redisUrl: string;
  files: { starts: string; record: string; children: string };
  /** `drover run` of worker.py with the record files wired in; `env` switches on misbehaviour. */
  supervise(args: string[], env?: Record<string, string>): RunningSupervisor;
  /** Every handler pid started so far, and every child they spawned. */
  allPids(): number[];
  /** finalOutcomes, with every supervisor of this scenario in the timeout message. */
  final(ids: readonly string[], timeoutMs?: number): Promise<Record<string, Outcome>>;
  /** Running handler processes or children (none once supervisors are gone). */
  leftovers(): number[];
  close(): Promise<void>;
}

export function faultScenario(label: string, redisUrl = REDIS_URL): FaultScenario {
  const dir = mkdtempSync(join(tmpdir(), `drover-fault-${label}-`));
  const prefix = testPrefix(`fault-${label}`);
  const client = new Client({ redis: redisUrl, prefix });
  const files = { starts: join(dir, 'starts.log'), record: join(dir, 'record.log'), children: join(dir, 'children.log') };
  const sups: RunningSupervisor[] = [];
  const allPids = (): number[] => [...handlerStarts(files.starts).map((s) => s.pid), ...childPids(files.children)];
  return {
    prefix,
    client,
    redisUrl,
    files,
    supervise(args, env = {}) {
      const wired = { STARTS_FILE: files.starts, RECORD_FILE: files.record, CHILDREN_FILE: files.children, ...env };
      const sup = startSupervisor(prefix, args, [PYTHON, WORKER], wired, redisUrl);
      sups.push(sup);
      return sup;
    },
    final: (ids, timeoutMs) => finalOutcomes(client, ids, timeoutMs, sups),
    allPids,
    leftovers: () => survivors(allPids()),
    async close() {
      await client.close();
      if (redisUrl === REDIS_URL) {
        const redis = connect();
        await cleanupPrefix(redis, prefix);
        await redis.quit();
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * `open(label)` for a test file's tests: registers an afterEach that stops every supervisor, then
 * closes the scenario the test opened. Call it at the top level of the file.
 */
export function scenarioPerTest(): (label: string) => FaultScenario {
  let scenario: FaultScenario | undefined;
  afterEach(async () => {
    await stopAllSupervisors();
    await scenario?.close();
    scenario = undefined;
  });
  return (label) => (scenario = faultScenario(label));
}

/** How many handler processes of `sup` have logged ready so far. */
export function readyCount(sup: RunningSupervisor): number {
  return sup.log().split('"handler ready"').length - 1;
}

/**
 * A fresh supervisor (`args`, `env`) finishes every task of `ids`: each completes in one counted
 * attempt and ran as `runs` says ([starts, dones] per id; once each by default), then the
 * supervisor exits 0 and no handler process is left.
 */
export async function expectFinishedBy(
  s: FaultScenario,
  args: string[],
  ids: readonly string[],
  options: { env?: Record<string, string>; runs?: Record<string, readonly number[]> } = {},
): Promise<void> {
  const sup = s.supervise(args, options.env);
  expect(await s.final(ids)).toEqual(each(ids, { state: 'completed', attempts: 1 }));
  expect(runsOf(s.files.record, ids)).toEqual(options.runs ?? each(ids, [1, 1]));
  expect(await sup.stop()).toBe(0);
  expect(s.leftovers()).toEqual([]);
}

/** The part of a task's final state a fault test pins down exactly. */
export interface Outcome {
  state: TaskInfo['state'];
  attempts: number;
  reason?: string;
}

export function outcomeOf(info: TaskInfo): Outcome {
  return info.error && info.state !== 'completed'
    ? { state: info.state, attempts: info.attempts, reason: info.error.reason }
    : { state: info.state, attempts: info.attempts };
}

/**
 * Waits for every task to finish and returns their outcomes, keyed by id. On a timeout the
 * error carries the tasks' current states and the tail of each supervisor's log.
 */
export async function finalOutcomes(client: Client, ids: readonly string[], timeoutMs = 20_000, sups: RunningSupervisor[] = []): Promise<Record<string, Outcome>> {
  try {
    const infos = await Promise.all(ids.map((id) => client.wait(id, { timeout: timeoutMs })));
    return Object.fromEntries(infos.map((i) => [i.id, outcomeOf(i)]));
  } catch (error) {
    const now = await currentOutcomes(client, ids).catch(() => ({}));
    const logs = sups.map((sup, i) => `--- supervisor ${i} (exit ${String(sup.child.exitCode)}):\n${sup.log().slice(-3000)}`).join('\n');
    throw new Error(`${(error as Error).message}\ntasks now: ${JSON.stringify(now)}\n${logs}`, { cause: error });
  }
}

/** Current outcomes without waiting. */
export async function currentOutcomes(client: Client, ids: readonly string[]): Promise<Record<string, Outcome>> {
  const infos = await Promise.all(ids.map((id) => client.get(id)));
  return Object.fromEntries(infos.map((i) => [i.id, outcomeOf(i)]));
}

/** Same value for each id: a compact way to write the expected map. */
export function each<T>(ids: readonly string[], value: T): Record<string, T> {
  return Object.fromEntries(ids.map((id) => [id, value]));
}
