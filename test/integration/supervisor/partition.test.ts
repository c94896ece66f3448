import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Client } from '../../../src/client/client.js';
import { PYTHON, fixture, until } from '../../helpers/handlers.js';
import { cleanupPrefix, connect, REDIS_URL, testPrefix } from '../../helpers/redis.js';
import { executions, startSupervisor, stopAllSupervisors, whenReady, whenStarted } from '../../helpers/supervisor.js';

const dir = mkdtempSync(join(tmpdir(), 'drover-partition-'));
const redis = connect();
const prefix = testPrefix('partition');
const client = new Client({ redis: REDIS_URL, prefix });

afterEach(() => stopAllSupervisors());
afterAll(async () => {
  await client.close();
  await cleanupPrefix(redis, prefix);
  await redis.quit();
  rmSync(dir, { recursive: true, force: true });
});

describe('a supervisor that stalls past its lease (SIGSTOP, as in a long GC pause or a partition)', () => {
  it('loses the task to another supervisor, and its late reply never overwrites the newer outcome', async () => {
    const record = join(dir, 'ran.log');
    const flags = ['-q', 'work', '--lease', '1s', '--recover-interval', '200ms'];
    const stalled = startSupervisor(prefix, flags, [PYTHON, fixture('record.py')], { RECORD_FILE: record });
    await whenReady(stalled);
    const { id } = await client.enqueue('work', { sleep_ms: 1500 }, { maxRetries: 3, backoff: { type: 'fixed', baseMs: 0 } });
    await whenStarted(record, { taskId: id });
    const stalledPid = stalled.child.pid!;
    process.kill(stalledPid, 'SIGSTOP'); // its handler keeps running and will answer into the pipe

    const other = startSupervisor(prefix, flags, [PYTHON, fixture('record.py')], { RECORD_FILE: record });
    await whenReady(other);
    const info = await client.wait(id, { timeout: 20_000 });
    expect(info.state).toBe('completed');
    expect(info.attempts).toBe(2);
    expect(executions(record).filter((x) => x === id)).toHaveLength(2);
    const winner = (info.result as { pid: number }).pid;

    process.kill(stalledPid, 'SIGCONT'); // wakes up holding a stale lease and a finished reply
    await until(() => /lease lost|result dropped/.test(stalled.log()), 10_000, () => `the stalled supervisor to notice:\n${stalled.log().slice(-2000)}`, 50);
    await new Promise((r) => setTimeout(r, 500));
    const after = await client.get(id);
    expect(after).toMatchObject({ state: 'completed', attempts: 2 });
    expect((after.result as { pid: number }).pid).toBe(winner);
    expect(await stalled.stop()).toBe(0);
  }, 40_000);
});
