import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PYTHON, fixture, until } from '../../helpers/handlers.js';
import { configRunSuite, records, startRun, whenHandlersReady, writeConfig } from './config-run.js';

const ctx = configRunSuite('config');

/** A long-lived Python handler on `inference`, a one-shot shell script on two weighted queues. */
function twoHandlers(recordFile: string): unknown {
  return {
    prefix: 'drover-test:never-used:', // the --prefix flag overrides it
    env: { RECORD_FILE: recordFile }, // top level: every handler gets it
    handlers: {
      model: { command: [PYTHON, fixture('record.py')], queues: ['inference'], concurrency: 1, loadTimeout: '30s', env: { DELAY_MS: '1' } },
      // Relative: resolved in the config file's directory, where the test copies the script.
      thumbs: { command: ['/bin/sh', './oneshot.sh'], mode: 'oneshot', queues: ['thumbnails:3', 'misc:1'], concurrency: 3 },
    },
  };
}

describe('drover run with a config file', () => {
  it('serves a long-lived Python handler and a one-shot shell handler from one process', async () => {
    const { dir, file } = writeConfig({});
    const recordFile = join(dir, 'record.log');
    writeConfig(twoHandlers(recordFile), 'drover.config.json', dir);
    copyFileSync(fixture('oneshot.sh'), join(dir, 'oneshot.sh'));
    const run = startRun(ctx.prefix, ['--config', file], dir);
    await whenHandlersReady(run, 1, 'model');

    const inference = await ctx.client.enqueueMany('inference', Array.from({ length: 6 }, (_, i) => ({ payload: { i } })));
    const thumbs = await ctx.client.enqueueMany('thumbnails', Array.from({ length: 4 }, (_, i) => ({ payload: { i } })));
    const misc = await ctx.client.enqueue('misc', { i: 0 });
    const done = await Promise.all([...inference, ...thumbs, misc].map((t) => ctx.client.wait(t.id, { timeout: 20_000 })));
    expect(done.map((t) => t.state)).toEqual(Array(11).fill('completed'));

    const pid = (t: { result?: unknown }): number => (t.result as { pid: number }).pid;
    // One long-lived process served every inference task; a process per one-shot task.
    expect(new Set(done.slice(0, 6).map(pid)).size).toBe(1);
    expect(new Set(done.slice(6).map(pid)).size).toBe(5);
    // The top-level env reached the Python handler: it recorded every inference task.
    const recorded = readFileSync(recordFile, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ')[0]);
    expect(recorded.sort()).toEqual(inference.map((t) => t.id).sort());

    // Two supervisors, one per handler, both in this one drover process.
    const sups = await ctx.client.backend.listSupervisors();
    expect(sups.map((s) => s.pid)).toEqual([run.child.pid, run.child.pid]);
    expect(sups.map((s) => s.queues.join(',')).sort()).toEqual(['inference', 'thumbnails,misc']);
    // Every log line of a handler names it.
    expect(records(run).filter((r) => r.msg === 'supervisor started').map((r) => r.handler).sort()).toEqual(['model', 'thumbs']);

    expect(await run.stop()).toBe(0);
    expect(await ctx.client.backend.listSupervisors()).toEqual([]);
    expect(records(run).filter((r) => r.msg === 'supervisor stopped')).toHaveLength(2);
  });

  it('picks up ./drover.config.json when no command follows --', async () => {
    const { dir } = writeConfig({ handlers: { echo: { command: [PYTHON, fixture('echo.py')] } } });
    const run = startRun(ctx.prefix, [], dir);
    await whenHandlersReady(run, 1, 'echo');
    // Without `queues`, a handler serves the queue named after it.
    await expect(ctx.client.run('echo', { hello: 1 }, { timeout: 20_000 })).resolves.toMatchObject({ echo: { hello: 1 } });
    expect(records(run).find((r) => r.msg === 'config loaded')).toMatchObject({ config: 'drover.config.json', handlers: ['echo'] });
    expect(await run.stop()).toBe(0);
  });

  it('does not read ./drover.config.json when a command follows --', async () => {
    const { dir } = writeConfig({ handlers: { echo: { command: ['/nonexistent/handler'] } } });
    const run = startRun(ctx.prefix, ['-q', 'plain', '--', PYTHON, fixture('echo.py')], dir);
    await whenHandlersReady(run, 1);
    await expect(ctx.client.run('plain', { n: 2 }, { timeout: 20_000 })).resolves.toMatchObject({ echo: { n: 2 } });
    expect(records(run).some((r) => r.msg === 'config loaded')).toBe(false);
    expect(await run.stop()).toBe(0);
  });

  it('stops every handler on SIGTERM: in-flight tasks of both finish, nothing stays active', async () => {
    const { dir, file } = writeConfig({});
    const recordFile = join(dir, 'record.log');
    writeConfig(
      {
        grace: '20s',
        handlers: {
          slow: { command: [PYTHON, fixture('record.py')], env: { RECORD_FILE: recordFile, DELAY_MS: '700' } },
          alsoSlow: { command: [PYTHON, fixture('record.py')], env: { RECORD_FILE: `${recordFile}.2`, DELAY_MS: '700' } },
        },
      },
      'drover.config.json',
      dir,
    );
    const run = startRun(ctx.prefix, ['--config', file, '--prefetch', '0'], dir);
    await whenHandlersReady(run, 2);
    const a = await ctx.client.enqueue('slow', {});
    const b = await ctx.client.enqueue('alsoSlow', {});
    // Running in their handlers (each wrote its start record), not only leased: a task leased but
    // not yet started when SIGTERM comes is requeued, as a buffered one is.
    const started = (file: string, id: string): boolean => existsSync(file) && readFileSync(file, 'utf8').includes(`${id} `);
    await until(() => started(recordFile, a.id) && started(`${recordFile}.2`, b.id), 15_000, 'both tasks to start');
    expect(await run.stop()).toBe(0);
    expect(await ctx.client.get(a.id)).toMatchObject({ state: 'completed' });
    expect(await ctx.client.get(b.id)).toMatchObject({ state: 'completed' });
  });
});
