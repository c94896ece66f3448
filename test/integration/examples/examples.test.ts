import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Client } from '../../../src/client/client.js';
import { runCli } from '../../helpers/cli.js';
import { PYTHON, ROOT } from '../../helpers/handlers.js';
import { cleanupPrefix, connect, REDIS_URL, testPrefix } from '../../helpers/redis.js';
import { startSupervisor, stopAllSupervisors, whenReady } from '../../helpers/supervisor.js';

/** Each example: its handler command, its mode, and its inputs file. */
const EXAMPLES = {
  'python-model': { handler: [PYTHON, `${ROOT}examples/python-model/handler.py`], mode: 'long' },
  'node-handler': { handler: [process.execPath, `${ROOT}examples/node-handler/handler.mjs`], mode: 'long' },
  'oneshot-shell': { handler: ['/bin/sh', `${ROOT}examples/oneshot-shell/handler.sh`], mode: 'oneshot' },
} as const;

function inputs(name: keyof typeof EXAMPLES): { id?: string; payload: unknown }[] {
  return readFileSync(`${ROOT}examples/${name}/inputs.ndjson`, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .map((v) => ('payload' in v ? { id: (v.id ?? v.task_id) as string | undefined, payload: v.payload } : { payload: v }));
}

describe('examples in batch mode', () => {
  it('python-model: loads once and classifies every input', async () => {
    const ex = EXAMPLES['python-model'];
    const run = await runCli(['batch', '-c', '2', '-i', `examples/python-model/inputs.ndjson`, '--', ...ex.handler]);
    expect(run.exitCode).toBe(0);
    expect(run.lines).toHaveLength(inputs('python-model').length);
    expect(run.lines.find((l) => l.id === '1')).toMatchObject({ result: { class: 'setosa' } });
    expect(run.stderr.match(/"handler ready"/g)).toHaveLength(2); // two processes, each loaded once
  });

  it('node-handler: text statistics, with the one invalid payload reported', async () => {
    const ex = EXAMPLES['node-handler'];
    const run = await runCli(['batch', '-i', 'examples/node-handler/inputs.ndjson', '--', ...ex.handler]);
    expect(run.lines).toHaveLength(inputs('node-handler').length);
    const failed = run.lines.filter((l) => 'error' in l);
    expect(failed).toHaveLength(1);
    expect(run.lines.find((l) => l.id === 't1')).toMatchObject({ result: { words: 6 } });
  });

  it('oneshot-shell: one process per task, the bad line answered with an error', async () => {
    const ex = EXAMPLES['oneshot-shell'];
    const run = await runCli(['batch', '--mode', 'oneshot', '-c', '3', '-i', 'examples/oneshot-shell/inputs.ndjson', '--', ...ex.handler]);
    expect(run.exitCode).toBe(1);
    expect(run.lines.find((l) => l.id === 'greeting')).toMatchObject({ result: { words: 5, upper: 'HELLO FROM A SHELL SCRIPT' } });
    expect(run.lines.filter((l) => 'error' in l)).toHaveLength(1);
  });
});

describe('examples served from Redis by drover run', () => {
  const redis = connect();
  let prefix: string;
  let client: Client;
  beforeEach(() => {
    prefix = testPrefix('examples');
    client = new Client({ redis: REDIS_URL, prefix });
  });
  afterEach(async () => {
    await stopAllSupervisors();
    await client.close();
    await cleanupPrefix(redis, prefix);
  });

  for (const name of Object.keys(EXAMPLES) as (keyof typeof EXAMPLES)[]) {
    it(`${name}: enqueued with the client SDK, served end to end`, async () => {
      const ex = EXAMPLES[name];
      const sup = startSupervisor(prefix, ['-q', name, '-c', '2', '--mode', ex.mode], [...ex.handler]);
      if (ex.mode === 'long') await whenReady(sup);
      const items = inputs(name);
      const ids = (await client.enqueueMany(name, items.map((i) => ({ payload: i.payload, options: { maxRetries: 0 } })))).map((r) => r.id);
      const infos = await Promise.all(ids.map((id) => client.wait(id, { timeout: 30_000 })));
      const byState = infos.reduce<Record<string, number>>((acc, i) => ({ ...acc, [i.state]: (acc[i.state] ?? 0) + 1 }), {});
      const batch = await runCli(['batch', '--mode', ex.mode, '-i', `examples/${name}/inputs.ndjson`, '--', ...ex.handler]);
      // The same inputs give the same split of successes and failures as in batch mode.
      expect(byState.completed).toBe(batch.lines.filter((l) => 'result' in l).length);
      expect(byState.failed ?? 0).toBe(batch.lines.filter((l) => 'error' in l).length);
      expect(await sup.stop()).toBe(0);
    });
  }
});
