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
  it('loses no task: every task enqueued before the restart completes after it', async () => {
    const record = join(dir, 'ran.log');
    const sup = startSupervisor('restart:', ['-q', 'work', '-c', '2', '--lease', '3s', '--recover-interval', '500ms'], [PYTHON, fixture('record.py')], { RECORD_FILE: record, DELAY_MS: '50' }, server.url);
    await whenReady(sup);
    const client = new Client({ redis: server.url, prefix: 'restart:' });
    const ids = (await client.enqueueMany('work', Array.from({ length: 80 }, (_, i) => ({ payload: { i } })))).map((r) => r.id);
    await new Promise((r) => setTimeout(r, 400)); // some done, some running, most pending
    await server.restart(1000);
    const infos = [];
    for (const id of ids) infos.push(await client.wait(id, { timeout: 30_000 }));
    expect(infos.filter((i) => i.state !== 'completed').map((i) => `${i.id}:${i.state}`)).toEqual([]);
    const ran = new Set(executions(record));
    expect(ids.every((id) => ran.has(id))).toBe(true);
    await client.close();
    expect(await sup.stop()).toBe(0);
    {
      // The restart really hit the supervisor mid-run (otherwise this test proves nothing).
      expect(sup.log()).toMatch(/Redis write failed|claim failed|background loop run failed|waiting for work failed/);
    }
  }, 60_000);
});
