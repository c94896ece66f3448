import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { PYTHON, fixture, until } from '../../helpers/handlers.js';
import { freePort } from '../../helpers/os.js';
import { redisServerAvailable, startRedisServer, type StartedRedis } from '../../helpers/redis-cluster.js';
import { startSupervisor, stopAllSupervisors, whenReady } from '../../helpers/supervisor.js';

const available = redisServerAvailable();

describe.skipIf(!available)('Redis Sentinel', () => {
  let master: StartedRedis;
  let sentinel: ChildProcess;
  let sentinelPort: number;
  const dir = mkdtempSync(join(tmpdir(), 'drover-sentinel-'));

  beforeAll(async () => {
    master = await startRedisServer();
    sentinelPort = await freePort();
    const conf = join(dir, 'sentinel.conf');
    writeFileSync(conf, `port ${sentinelPort}\nbind 127.0.0.1\ndir ${dir}\nsentinel monitor mymaster 127.0.0.1 ${master.port} 1\n`);
    sentinel = spawn('redis-server', [conf, '--sentinel'], { stdio: 'ignore' });
    // Ready when the sentinel knows the master.
    for (let i = 0; i < 100; i += 1) {
      const r = await runCli(['stats', '--json', '--sentinels', `127.0.0.1:${sentinelPort}`, '--prefix', 'sentinel-probe:']);
      if (r.exitCode === 0) break;
      await new Promise((r2) => setTimeout(r2, 100));
    }
  }, 30_000);
  afterAll(async () => {
    await stopAllSupervisors();
    sentinel?.kill('SIGTERM');
    await master?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds the master through the Sentinels, for the supervisor and the CLI', async () => {
    const sentinels = ['--sentinels', `127.0.0.1:${sentinelPort}`, '--sentinel-name', 'mymaster'];
    const sup = startSupervisor('sentinel:', ['-q', 'work', ...sentinels], [PYTHON, fixture('echo.py')], {}, 'redis://127.0.0.1:1');
    await whenReady(sup);
    const run = await runCli(['enqueue', 'work', '{"via":"sentinel"}', '--wait', '--timeout', '10s', '--prefix', 'sentinel:', ...sentinels]);
    expect(run.exitCode).toBe(0);
    expect(run.lines[0]).toMatchObject({ state: 'completed', result: { echo: { via: 'sentinel' } } });
    expect(await sup.stop()).toBe(0);
  });

  it('refuses --sentinels with --cluster, naming both', async () => {
    const run = await runCli(['stats', '--sentinels', `127.0.0.1:${sentinelPort}`, '--cluster']);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('--sentinels and --cluster do not go together');
  });
});

describe('Redis Sentinel, none reachable', () => {
  it('a command fails with a clear connection error instead of waiting forever; the supervisor keeps retrying', async () => {
    const nobody = ['--sentinels', `127.0.0.1:${await freePort()}`];
    const sup = startSupervisor('sentinel-none:', ['-q', 'work', ...nobody], [PYTHON, fixture('echo.py')], {}, 'redis://127.0.0.1:1');
    const t0 = Date.now();
    const run = await runCli(['stats', ...nobody]);
    expect(run.exitCode).toBe(6); // CONNECTION_ERROR
    expect(run.stderr).toContain('cannot reach Redis');
    expect(run.stderr).toContain('All sentinels are unreachable');
    expect(Date.now() - t0).toBeLessThan(30_000); // SENTINEL_COMMAND_TIMEOUT_MS, not forever
    await until(() => sup.log().includes('claim failed'), 30_000, () => `the supervisor to report the failed claim:\n${sup.log()}`);
    expect(sup.log()).toContain('All sentinels are unreachable');
    await sup.kill9(); // a graceful stop would wait out the timeout of each last write
  }, 60_000);
});
