import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../../../src/client/client.js';
import { PYTHON, fixture } from '../../helpers/handlers.js';
import { startRestartableRedis, type RestartableRedis } from '../../helpers/redis-restartable.js';
import { executions, startSupervisor, stopAllSupervisors, whenReady } from '../../helpers/supervisor.js';

let server: RestartableRedis;
const dir = mkdtempSync(join(tmpdir(), 'drover-restart-'));

beforeAll(async () => {
  server = await startRestartableRedis();
});
afterAll(async () => {
  await stopAllSupervisors();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a Redis restart during a run', () => {
  // -c 6: the supervisor commits completions in groups (completion-batcher.ts), so a group's
  // write is what the restart interrupts and what is retried.
  it.each([2, 6])('loses no task with -c %i: every task enqueued before the restart completes after it, once', async (concurrency) => {
    const record = join(dir, `ran-${concurrency}.log`);
    const prefix = `restart-${concurrency}:`;
    const sup = startSupervisor(prefix, ['-q', 'work', '-c', String(concurrency), '--lease', '3s', '--recover-interval', '500ms'], [PYTHON, fixture('record.py')], { RECORD_FILE: record, DELAY_MS: '50' }, server.url);
    await whenReady(sup);
    const client = new Client({ redis: server.url, prefix });
    const ids = (await client.enqueueMany('work', Array.from({ length: 80 }, (_, i) => ({ payload: { i } })))).map((r) => r.id);
    await new Promise((r) => setTimeout(r, 400)); // some done, some running, most pending
    await server.restart(1000);
    const infos = [];
    for (const id of ids) infos.push(await client.wait(id, { timeout: 30_000 }));
    expect(infos.filter((i) => i.state !== 'completed').map((i) => `${i.id}:${i.state}`)).toEqual([]);
    const ran = new Set(executions(record));
    expect(ids.every((id) => ran.has(id))).toBe(true);
    expect((await client.stats('work')).totals.completed).toBe(ids.length); // none counted twice
    await client.close();
    expect(await sup.stop()).toBe(0);
    {
      // The restart really hit the supervisor mid-run (otherwise this test proves nothing).
      expect(sup.log()).toMatch(/Redis write failed|claim failed|background loop run failed|waiting for work failed/);
    }
  }, 60_000);
});
