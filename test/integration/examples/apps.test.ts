/**
 * The application-side examples, end to end against the real CLI and Redis:
 * examples/config (one `drover run` serving two handlers), examples/node-web-app (an HTTP
 * server that enqueues and awaits) and examples/python-app (a Python script that enqueues).
 */
import { readFileSync } from 'node:fs';
import { execa, type ResultPromise } from 'execa';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Client } from '../../../src/client/client.js';
import { runCli } from '../../helpers/cli.js';
import { ROOT, until } from '../../helpers/handlers.js';
import { freePort } from '../../helpers/os.js';
import { cleanupPrefix, connect, REDIS_URL, testPrefix } from '../../helpers/redis.js';
import { startSupervisor, stopAllSupervisors, type RunningSupervisor } from '../../helpers/supervisor.js';

const CONFIG = 'examples/config/drover.config.json';
/** The Python with redis-py (Debian's python3-redis), as the python-app README says. */
const SYSTEM_PYTHON = '/usr/bin/python3';

const redis = connect();
let prefix: string;
let client: Client;
const apps = new Set<ResultPromise>();

/** `drover run --config examples/config/drover.config.json` on this test's prefix. */
function serveExampleConfig(): RunningSupervisor {
  return startSupervisor(prefix, ['--config', CONFIG], []);
}

/** Payloads of an example's inputs.ndjson (bare, or the `payload` of {id, payload}). */
function payloads(example: string): unknown[] {
  return readFileSync(`${ROOT}examples/${example}/inputs.ndjson`, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .map((v) => ('payload' in v ? v.payload : v));
}

beforeEach(() => {
  prefix = testPrefix('example-apps');
  client = new Client({ redis: REDIS_URL, prefix });
});
afterEach(async () => {
  for (const app of apps) app.kill('SIGKILL');
  await Promise.all([...apps]);
  apps.clear();
  await stopAllSupervisors();
  await client.close();
  await cleanupPrefix(redis, prefix);
});
afterAll(async () => {
  await redis.quit();
});

describe('examples/config: one drover run serves the model on predict and the shell one-shot on thumbnails', () => {
  it('answers every input of both examples as drover batch does', async () => {
    const sup = serveExampleConfig();
    const model = await client.enqueueMany('predict', payloads('python-model').map((payload) => ({ payload, options: { maxRetries: 0 } })));
    const shell = await client.enqueueMany('thumbnails', payloads('oneshot-shell').map((payload) => ({ payload, options: { maxRetries: 0 } })));
    const [modelDone, shellDone] = await Promise.all(
      [model, shell].map((tasks) => Promise.all(tasks.map((t) => client.wait(t.id, { timeout: 60_000 })))),
    );
    expect(modelDone[0]).toMatchObject({ state: 'completed', result: { class: 'setosa' } });
    expect(shellDone.find((t) => t.state === 'completed')?.result).toMatchObject({ words: 4, upper: 'THE QUICK BROWN FOX' });
    // Same split of successes and failures as each example run alone in batch mode.
    for (const [example, done, mode, handler] of [
      ['python-model', modelDone, 'long', ['python3', 'examples/python-model/handler.py']],
      ['oneshot-shell', shellDone, 'oneshot', ['sh', 'examples/oneshot-shell/handler.sh']],
    ] as const) {
      const batch = await runCli(['batch', '--mode', mode, '-i', `examples/${example}/inputs.ndjson`, '--', ...handler]);
      expect(done.filter((t) => t.state === 'completed')).toHaveLength(batch.lines.filter((l) => 'result' in l).length);
      expect(done.filter((t) => t.state === 'failed')).toHaveLength(batch.lines.filter((l) => 'error' in l).length);
    }
    const sups = await client.backend.listSupervisors();
    expect(new Set(sups.map((s) => s.pid))).toEqual(new Set([sup.child.pid]));
    expect(sups.map((s) => s.queues[0]).sort()).toEqual(['predict', 'thumbnails']);
    expect(await sup.stop()).toBe(0);
  }, 90_000);
});

describe('examples/node-web-app: POST /predict enqueues and awaits the model', () => {
  it('returns the class, a 422 for a payload the model refuses, a 400 for a body that is not JSON', async () => {
    serveExampleConfig();
    const port = await freePort();
    const server = execa(process.execPath, ['examples/node-web-app/server.mjs'], {
      cwd: ROOT,
      env: { PORT: String(port), REDIS_URL, DROVER_PREFIX: prefix },
      reject: false,
      all: true,
    });
    apps.add(server);
    let out = '';
    server.all?.on('data', (d: Buffer) => (out += d.toString('utf8')));
    await until(() => out.includes('listening on'), 15_000, () => `the web app to listen:\n${out}`);

    const post = async (body: string): Promise<{ status: number; json: Record<string, unknown> }> => {
      const res = await fetch(`http://127.0.0.1:${port}/predict`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
      return { status: res.status, json: (await res.json()) as Record<string, unknown> };
    };
    const [virginica, setosa] = await Promise.all([post('{"features":[6.3,3.3,6.0,2.5]}'), post('{"features":[5.1,3.5,1.4,0.2]}')]);
    expect(virginica).toMatchObject({ status: 200, json: { class: 'virginica' } });
    expect(setosa).toMatchObject({ status: 200, json: { class: 'setosa' } });
    expect(await post('{"features":[1]}')).toMatchObject({ status: 422, json: { type: 'InvalidPayload', reason: 'error' } });
    expect(await post('not json')).toMatchObject({ status: 400 });

    // SIGTERM: the server closes, then the client, and node exits 0 on its own.
    server.kill('SIGTERM');
    expect((await server).exitCode).toBe(0);
  }, 60_000);
});

describe('examples/python-app: enqueue.py (drover.client) against a drover run', () => {
  it('prints the result of run(), of a batch, and the error of a refused payload', async () => {
    serveExampleConfig();
    const app = execa(SYSTEM_PYTHON, ['examples/python-app/enqueue.py', '--redis', REDIS_URL, '--prefix', prefix], { cwd: ROOT, reject: false, timeout: 60_000 });
    apps.add(app);
    const r = await app;
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const lines = String(r.stdout).split('\n');
    expect(lines[0]).toMatch(/^run: \[5\.1, 3\.5, 1\.4, 0\.2\] -> setosa \(p=0\.\d{3}\)$/);
    expect(lines.slice(1, 6).map((l) => /-> (\w+) \[predict:\S+, completed\]$/.exec(l)?.[1])).toEqual(['setosa', 'versicolor', 'virginica', 'setosa', 'versicolor']);
    expect(lines[6]).toMatch(/^refused: InvalidPayload: features must be a list of 4 numbers/);
  }, 60_000);
});
