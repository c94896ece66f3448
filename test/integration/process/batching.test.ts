import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { fixture, PYTHON } from '../../helpers/handlers.js';

// `drover batch` through a batched Python SDK handler (@task(batch=32)): the handler declares
// concurrency 32, the supervisor keeps up to 32 tasks in the process, the SDK gathers them.
// Everything is asserted from the output records (which batch served which id), never timing.
const dir = mkdtempSync(path.join(tmpdir(), 'drover-batching-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface EchoResult {
  task_id: string;
  value: unknown;
  call: number;
  batch_size: number;
  batch: string[];
}

function writeInput(name: string, lines: unknown[]): string {
  const file = path.join(dir, name);
  writeFileSync(file, lines.map((line) => JSON.stringify(line)).join('\n') + '\n');
  return file;
}

function runBatch(input: string, env: Record<string, string>, extra: string[] = []) {
  return runCli(['batch', '--no-progress', '--log-level', 'warn', ...extra, '-i', input, '--', PYTHON, fixture('batch-echo.py')], {
    env: { ...process.env, ...env },
  });
}

describe('drover batch with a batching Python handler', () => {
  it('maps results to their ids, fails only the bad item, and forms real batches', async () => {
    const count = 100;
    const inputs = Array.from({ length: count }, (_, i) => ({ id: `item-${i}`, payload: i === 37 ? { fail: true } : { n: i } }));
    const run = await runBatch(writeInput('many.ndjson', inputs), { BATCH_SIZE: '32', BATCH_MAX_WAIT_MS: '200' }, ['--retries', '0']);
    expect(run.exitCode, run.stderr).toBe(1); // one task failed
    expect(run.lines).toHaveLength(count);

    const byId = new Map(run.lines.map((record) => [record.id as string, record]));
    const bad = byId.get('item-37');
    expect(bad).toMatchObject({ error: { message: 'item item-37 is bad', type: 'ValueError', reason: 'error' }, attempts: 1 });

    const results: EchoResult[] = [];
    for (let i = 0; i < count; i += 1) {
      if (i === 37) continue;
      const record = byId.get(`item-${i}`);
      expect(record, `item-${i}`).toHaveProperty('result');
      const result = record!.result as EchoResult;
      expect(result.task_id).toBe(`item-${i}`); // the result answers its own task
      expect(result.value).toEqual({ n: i });
      results.push(result);
    }

    // Group by call of the batch function: every member agrees on its batch.
    const calls = new Map<number, EchoResult[]>();
    for (const result of results) calls.set(result.call, [...(calls.get(result.call) ?? []), result]);
    for (const members of calls.values()) {
      const { batch, batch_size: size } = members[0]!;
      expect(size).toBeLessThanOrEqual(32);
      expect(batch).toHaveLength(size);
      for (const member of members) {
        expect(member.batch).toEqual(batch);
        expect(batch).toContain(member.task_id);
      }
    }
    const sizes = [...calls.values()].map((members) => members[0]!.batch_size);
    expect(Math.max(...sizes)).toBeGreaterThan(1); // tasks really were gathered
    expect(calls.size).toBeLessThan(count / 2);
    // The failed item shared its batch with items that succeeded.
    const withBad = results.find((r) => r.batch.includes('item-37'));
    expect(withBad).toBeDefined();
  }, 60_000);

  it('dispatches a lone task alone after max_wait instead of waiting for a full batch', async () => {
    // stdin of the handler stays open while the task runs: only the wait can end the gathering.
    const run = await runBatch(writeInput('one.ndjson', [{ id: 'solo', payload: { n: 1 } }]), { BATCH_SIZE: '32', BATCH_MAX_WAIT_MS: '100' });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.lines).toEqual([{ id: 'solo', result: expect.objectContaining({ task_id: 'solo', batch_size: 1, batch: ['solo'] }) }]);
  }, 30_000);

  it('retries a retryable item on its own, in a later batch', async () => {
    const inputs = [
      { id: 'steady-1', payload: { n: 1 } },
      { id: 'flaky', payload: { flaky: true } },
      { id: 'steady-2', payload: { n: 2 } },
    ];
    const run = await runBatch(writeInput('flaky.ndjson', inputs), { BATCH_SIZE: '8', BATCH_MAX_WAIT_MS: '50' }, ['--retries', '1']);
    expect(run.exitCode, run.stderr).toBe(0);
    const byId = new Map(run.lines.map((record) => [record.id as string, record.result as EchoResult]));
    expect([...byId.keys()].sort()).toEqual(['flaky', 'steady-1', 'steady-2']);
    expect(byId.get('flaky')).toMatchObject({ task_id: 'flaky', value: { flaky: true } });
    // The retry came back later and was served by a later call, without the tasks of its first batch.
    expect(byId.get('flaky')!.call).toBeGreaterThan(byId.get('steady-1')!.call);
    expect(byId.get('flaky')!.batch).not.toContain('steady-1');
  }, 30_000);
});
