import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../../../src/client/client.js';
import { PYTHON, fixture } from '../../helpers/handlers.js';
import { redisServerAvailable, startCluster, type StartedCluster } from '../../helpers/redis-cluster.js';
import { executions, startSupervisor, stopAllSupervisors, whenReady, whenStarted } from '../../helpers/supervisor.js';

const available = redisServerAvailable();
if (!available) console.warn('cluster e2e skipped: redis-server/redis-cli not installed');

describe.skipIf(!available)('drover run against a 3-master Redis Cluster', () => {
  let cluster: StartedCluster;
  let client: Client;
  const dir = mkdtempSync(join(tmpdir(), 'drover-cluster-e2e-'));

  beforeAll(async () => {
    cluster = await startCluster({ masters: 3 });
    client = new Client({ redis: cluster.urls[0]!, cluster: true, prefix: 'e2e:' });
  }, 60_000);
  afterAll(async () => {
    await stopAllSupervisors();
    await client?.close();
    await cluster?.stop();
    rmSync(dir, { recursive: true, force: true });
  });


  it('round trip on several queues (several slots), with no CROSSSLOT error', async () => {
    const record = join(dir, 'rt.log');
    const queues = ['alpha', 'beta', 'gamma', 'delta'];
    const sup = startSupervisor('e2e:', [...queues.flatMap((q) => ['-q', q]), '--cluster', '-c', '2'], [PYTHON, fixture('record.py')], { RECORD_FILE: record }, cluster.urls[0]);
    await whenReady(sup);
    const ids: string[] = [];
    for (const q of queues) ids.push(...(await client.enqueueMany(q, Array.from({ length: 5 }, (_, i) => ({ payload: { q, i } })))).map((r) => r.id));
    const infos = await Promise.all(ids.map((id) => client.wait(id, { timeout: 20_000 })));
    expect(infos.every((i) => i.state === 'completed')).toBe(true);
    expect(executions(record).sort()).toEqual([...ids].sort());
    expect(sup.log()).not.toContain('CROSSSLOT');
    // The queues' keys really are spread over more than one master.
    const sizes = await Promise.all(cluster.urls.map(async (url) => {
      const node = new Redis(url);
      const n = await node.dbsize();
      await node.quit();
      return n;
    }));
    expect(sizes.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);
    expect(await sup.stop()).toBe(0);
    expect(sup.log()).not.toContain('CROSSSLOT');
  });

  it('kill -9 of a supervisor mid-task: the task completes on another after its lease expires', async () => {
    const record = join(dir, 'kill.log');
    const flags = ['-q', 'kill9', '--cluster', '--lease', '1s', '--recover-interval', '200ms'];
    const victim = startSupervisor('e2e:', flags, [PYTHON, fixture('record.py')], { RECORD_FILE: record }, cluster.urls[0]);
    await whenReady(victim);
    const { id } = await client.enqueue('kill9', { sleep_ms: 2000 });
    await whenStarted(record, { taskId: id });
    await victim.kill9();
    const survivor = startSupervisor('e2e:', flags, [PYTHON, fixture('record.py')], { RECORD_FILE: record }, cluster.urls[1]);
    await whenReady(survivor);
    const info = await client.wait(id, { timeout: 20_000 });
    expect(info).toMatchObject({ state: 'completed', attempts: 2 });
    expect(survivor.log()).not.toContain('CROSSSLOT');
  });
});
