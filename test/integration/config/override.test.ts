import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planRun, type RunRequest } from '../../../src/config/merge.js';
import { PYTHON, fixture } from '../../helpers/handlers.js';
import { configRunSuite, records, startRun, whenHandlersReady, writeConfig } from './config-run.js';

/** planRun on a config file written to a temp dir, with these typed flags. */
function plan(config: unknown, flags: RunRequest['flags'] = {}, argv: string[] = []) {
  const { dir } = writeConfig(config);
  return { dir, plan: planRun({ argv, configPath: 'drover.config.json', cwd: dir, flags }) };
}

describe('flags, handler keys, top-level keys and defaults: which wins', () => {
  const config = {
    redis: 'redis://config-host:6379',
    prefix: 'from-config:',
    concurrency: 3,
    lease: '20s',
    env: { SHARED: 'top', LEVEL: 'top' },
    handlers: {
      a: { command: ['a.sh'], concurrency: 2, grace: 1500, env: { LEVEL: 'a' }, queues: ['qa:2', 'qb'] },
      b: { command: ['b.sh', '--fast'], mode: 'oneshot', cwd: 'work', maxRss: '512MB' },
    },
  };

  it('without flags: a handler key beats the top level, which beats the default', () => {
    const { dir, plan: p } = plan(config);
    const [a, b] = p.services;
    expect(p.process).toEqual({ redis: 'redis://config-host:6379', prefix: 'from-config:', logLevel: 'info' });
    expect(a).toEqual({
      name: 'a',
      command: { command: 'a.sh', args: [], env: { SHARED: 'top', LEVEL: 'a' }, cwd: dir },
      queues: [{ name: 'qa', weight: 2 }, { name: 'qb' }],
      options: { mode: 'long', concurrency: 2, lease: 20_000, grace: 1500 },
    });
    expect(b).toEqual({
      name: 'b',
      command: { command: 'b.sh', args: ['--fast'], env: { SHARED: 'top', LEVEL: 'top' }, cwd: resolve(dir, 'work') },
      queues: [{ name: 'b' }],
      options: { mode: 'oneshot', concurrency: 3, lease: 20_000, maxRss: 512 * 1024 ** 2 },
    });
  });

  it('a typed flag beats both, for every handler', () => {
    const { plan: p } = plan(config, { concurrency: 5, lease: 7000, prefix: 'flag:', logLevel: 'debug' });
    expect(p.process).toMatchObject({ redis: 'redis://config-host:6379', prefix: 'flag:', logLevel: 'debug' });
    expect(p.services.map((s) => [s.options.concurrency, s.options.lease, s.options.mode])).toEqual([
      [5, 7000, 'long'],
      [5, 7000, 'oneshot'],
    ]);
  });

  it('process settings: a flag beats the top-level key', () => {
    const process = { metricsPort: 9100, metricsHost: '127.0.0.1', logFormat: 'json', logLevel: 'warn', cluster: true, sentinels: ['s1:26379'], sentinelName: 'main' };
    const handlers = { handlers: { only: { command: ['x'] } } };
    expect(plan({ ...process, ...handlers }).plan.process).toEqual({
      metricsPort: 9100,
      metricsHost: '127.0.0.1',
      logFormat: 'json',
      logLevel: 'warn',
      cluster: true,
      sentinels: [{ host: 's1', port: 26379 }],
      sentinelName: 'main',
    });
    expect(plan({ ...process, ...handlers }, { metricsPort: 0, logFormat: 'pretty', logLevel: 'debug' }).plan.process).toMatchObject({ metricsPort: 0, logFormat: 'pretty', logLevel: 'debug' });
  });

  it('-q replaces the queues of a config with one handler', () => {
    const { plan: p } = plan({ handlers: { only: { command: ['x'], queues: ['a'] } } }, { queue: [{ name: 'z' }] });
    expect(p.services[0]!.queues).toEqual([{ name: 'z' }]);
  });

  it('a config without handlers sets the defaults of the command after --, which runs in the current directory', () => {
    const { plan: p } = plan({ concurrency: 4, prefix: 'cfg:', env: { A: '1' } }, { mode: 'oneshot' }, ['./job.sh', 'x']);
    expect(p.services).toEqual([
      { name: 'default', command: { command: './job.sh', args: ['x'], env: { A: '1' } }, queues: [{ name: 'default' }], options: { mode: 'oneshot', concurrency: 4 } },
    ]);
    expect(p.process.prefix).toBe('cfg:');
  });
});

describe('flag overrides against a real drover run', () => {
  const ctx = configRunSuite('config-flags');

  it('-c overrides the concurrency of every handler in the file', async () => {
    const { dir, file } = writeConfig({
      concurrency: 1,
      handlers: {
        one: { command: [PYTHON, fixture('echo.py')], concurrency: 1 },
        two: { command: [PYTHON, fixture('echo.py')] },
      },
    });
    const run = startRun(ctx.prefix, ['--config', file, '-c', '2'], dir);
    await whenHandlersReady(run, 2, 'one');
    await whenHandlersReady(run, 2, 'two');
    await expect(ctx.client.run('two', { x: 1 }, { timeout: 20_000 })).resolves.toMatchObject({ echo: { x: 1 } });
    expect(await run.stop()).toBe(0);
    const ready = records(run).filter((r) => r.msg === 'handler ready');
    expect(ready.map((r) => r.handler).sort()).toEqual(['one', 'one', 'two', 'two']);
  });

  it('a handler timeout fails a task enqueued without one; --timeout overrides it', async () => {
    const { dir, file } = writeConfig({
      cancelGrace: '100ms',
      killGrace: '300ms',
      handlers: {
        hung: { command: [PYTHON, fixture('forever.py')], timeout: '300ms' },
        hung2: { command: [PYTHON, fixture('forever.py')], timeout: '1h' },
      },
    });
    const run = startRun(ctx.prefix, ['--config', file], dir);
    await whenHandlersReady(run, 2);
    const info = await ctx.client.wait((await ctx.client.enqueue('hung', {}, { maxRetries: 0 })).id, { timeout: 20_000 });
    expect(info).toMatchObject({ state: 'failed', error: { reason: 'timeout', message: expect.stringContaining('timed out after 300 ms') } });
    expect(await run.stop()).toBe(0);

    const flagged = startRun(ctx.prefix, ['--config', file, '--timeout', '400ms'], dir);
    await whenHandlersReady(flagged, 2);
    const info2 = await ctx.client.wait((await ctx.client.enqueue('hung2', {}, { maxRetries: 0 })).id, { timeout: 20_000 });
    expect(info2).toMatchObject({ state: 'failed', error: { reason: 'timeout', message: expect.stringContaining('timed out after 400 ms') } });
    // A task's own timeout wins over the handler's.
    const own = await ctx.client.wait((await ctx.client.enqueue('hung2', {}, { maxRetries: 0, timeoutMs: 250 })).id, { timeout: 20_000 });
    expect(own).toMatchObject({ state: 'failed', error: { reason: 'timeout', message: expect.stringContaining('timed out after 250 ms') } });
    expect(await flagged.stop()).toBe(0);
  });
});
