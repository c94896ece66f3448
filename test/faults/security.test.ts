/**
 * Security basics (docs/security.md):
 * - handlers are spawned without a shell: arguments and payloads a shell would run reach the
 *   handler verbatim, and nothing runs;
 * - the password in a Redis URL never appears in what drover prints (stdout, stderr, logs),
 *   on success and on the error paths (wrong password, unreachable host, a malformed URL).
 */
import { execa } from 'execa';
import { Redis } from 'ioredis';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../../src/client/client.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { PYTHON, ROOT, fixture, until } from '../helpers/handlers.js';
import { freePort } from '../helpers/os.js';
import { REDIS_URL, cleanupPrefix, connect, testPrefix } from '../helpers/redis.js';
import { redisServerAvailable, startRedisServer, type StartedRedis } from '../helpers/redis-cluster.js';
import { startSupervisor, stopAllSupervisors, whenReady } from '../helpers/supervisor.js';

const ARGS_HANDLER = `${ROOT}test/fixtures/faults/bad-shell-args.py`;
const dir = mkdtempSync(join(tmpdir(), 'drover-security-'));

afterAll(async () => {
  await stopAllSupervisors();
  rmSync(dir, { recursive: true, force: true });
});

describe('handlers run without a shell', () => {
  const prefix = testPrefix('security-shell');
  const redis = connect();
  const client = new Client({ redis: REDIS_URL, prefix });
  const marker = join(dir, 'shell');
  mkdirSync(marker);
  /** Arguments that would each do something in a shell; with argv arrays they are just text. */
  const hostile = [
    `$(touch ${marker}/dollar-paren)`,
    `\`touch ${marker}/backquote\``,
    ';',
    `; touch ${marker}/semicolon`,
    `&& touch ${marker}/and`,
    `| tee ${marker}/pipe`,
    `> ${marker}/redirect`,
    'two words',
    '"double quoted"',
    "'single quoted'",
    '$HOME',
    '*',
    '',
    'new\nline',
  ];

  afterAll(async () => {
    await client.close();
    await cleanupPrefix(redis, prefix);
    redis.disconnect();
  });

  it('drover run: every argument reaches the handler verbatim, as its own argv entry, and no file is created', async () => {
    const sup = startSupervisor(prefix, ['-q', 'shell'], [PYTHON, ARGS_HANDLER, ...hostile]);
    await whenReady(sup);
    const { id } = await client.enqueue('shell', { n: 1 });
    const done = await client.wait(id, { timeout: 20_000 });
    expect(done.state).toBe('completed');
    expect((done.result as { argv: string[] }).argv).toEqual(hostile);
    expect(await sup.stop()).toBe(0);
    expect(readdirSync(marker)).toEqual([]);
  });

  it('drover batch --mode oneshot (a process per task): the same', async () => {
    const run = await runCli(['batch', '--mode', 'oneshot', '--', PYTHON, ARGS_HANDLER, ...hostile], { input: '{"n":1}\n{"n":2}\n' });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.lines.map((l) => (l.result as { argv: string[] }).argv)).toEqual([hostile, hostile]);
    expect(readdirSync(marker)).toEqual([]);
  });

  it('payload, type and meta are data: passed as JSON, never interpreted', async () => {
    const sup = startSupervisor(prefix, ['-q', 'data'], [PYTHON, ARGS_HANDLER]);
    await whenReady(sup);
    const payload = { cmd: `$(touch ${marker}/payload)`, sql: "'; DROP TABLE tasks; --", list: hostile };
    const type = `\`touch ${marker}/type\``;
    const meta = { note: `; touch ${marker}/meta` };
    const { id } = await client.enqueue('data', payload, { type, meta });
    const done = await client.wait(id, { timeout: 20_000 });
    expect(done.result).toMatchObject({ payload, type, meta });
    expect(await sup.stop()).toBe(0);
    expect(readdirSync(marker)).toEqual([]);
  });
});

describe.skipIf(!redisServerAvailable())('the password in a Redis URL never shows in output', () => {
  const PASSWORD = 's3cret-pw-7f3a';
  const WRONG = 'wr0ng-pw-91c2';
  const prefix = testPrefix('security-auth');
  let server: StartedRedis;
  let url: string;
  let wrongUrl: string;
  let unreachableUrl: string;
  /** Everything drover printed in this describe, checked once more at the end. */
  const printed: string[] = [];

  function expectNoSecret(text: string): void {
    printed.push(text);
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(WRONG);
  }

  async function cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
    const run = await runCli([...args, '--prefix', prefix], { env });
    expectNoSecret(run.stdout + run.stderr);
    return run;
  }

  beforeAll(async () => {
    // requirepass is set once the server answers (startRedisServer's readiness PING has no password).
    server = await startRedisServer();
    const admin = new Redis(server.url);
    await admin.config('SET', 'requirepass', PASSWORD);
    admin.disconnect();
    url = `redis://:${PASSWORD}@127.0.0.1:${server.port}`;
    wrongUrl = `redis://:${WRONG}@127.0.0.1:${server.port}`;
    unreachableUrl = `redis://:${PASSWORD}@127.0.0.1:${await freePort()}`;
  }, 30_000);

  afterAll(async () => {
    await stopAllSupervisors();
    await server?.stop();
    expect(printed.join('\n')).not.toContain(PASSWORD); // guards against a check skipped above
  });

  it('the right password: run (debug log), enqueue --wait, get, stats, dead list', async () => {
    const sup = startSupervisor(prefix, ['-q', 'auth'], [PYTHON, fixture('echo.py')], {}, url);
    await whenReady(sup);
    const enqueue = await cli(['enqueue', 'auth', '{"x":1}', '--wait', '--timeout', '20s', '--json', '--redis', url]);
    expect(enqueue.exitCode, enqueue.stderr).toBe(0);
    expect(enqueue.lines[0]).toMatchObject({ state: 'completed' });
    expect((await cli(['get', String(enqueue.lines[0]!.id), '--json', '--redis', url])).exitCode).toBe(0);
    expect((await cli(['stats', 'auth', '--redis', url])).exitCode).toBe(0);
    expect((await cli(['dead', 'list', 'auth', '--redis', url])).exitCode).toBe(0);
    // Through the environment instead of a flag (not visible in `ps` either).
    expect((await cli(['stats', 'auth'], { DROVER_REDIS_URL: url })).exitCode).toBe(0);
    expect(await sup.stop()).toBe(0);
    expect(sup.log()).toContain('"msg":"task completed"');
    expectNoSecret(sup.log());
  });

  it('a wrong password: exit 6 "Redis refused the credentials", and the wrong password is not echoed', async () => {
    for (const args of [['stats', 'auth'], ['enqueue', 'auth', '{}'], ['get', 'auth:x'], ['dead', 'list', 'auth']]) {
      const run = await cli([...args, '--redis', wrongUrl]);
      expect(run.exitCode, `${args.join(' ')}: ${run.stderr}`).toBe(6);
      expect(run.stderr).toContain('Redis refused the credentials (WRONGPASS');
    }
  });

  it('drover run with a wrong password keeps logging the refusal, never the password', async () => {
    const sup = startSupervisor(prefix, ['-q', 'auth'], [PYTHON, fixture('echo.py')], {}, wrongUrl);
    await until(() => sup.log().includes('Redis refused the credentials'), 20_000, () => `the refusal in the log:\n${sup.log()}`);
    await sup.stop();
    expectNoSecret(sup.log());
  });

  it('an unreachable host: exit 6 "cannot reach Redis" with the socket error, no password; drover run logs the same', async () => {
    const run = await cli(['stats', 'auth', '--redis', unreachableUrl]);
    expect(run.exitCode).toBe(6);
    expect(run.stderr).toMatch(/cannot reach Redis: .*ECONNREFUSED/);
    const sup = startSupervisor(prefix, ['-q', 'auth'], [PYTHON, fixture('echo.py')], {}, unreachableUrl);
    await until(() => sup.log().includes('cannot reach Redis'), 20_000, () => `a connection error in the log:\n${sup.log()}`);
    await sup.stop();
    expectNoSecret(sup.log());
  });

  it('a malformed URL is refused (exit 2) with its password masked: flag, environment, config file', async () => {
    for (const bad of [`http://:${PASSWORD}@127.0.0.1:${server.port}`, `redis//user:${PASSWORD}@127.0.0.1`]) {
      const flag = await cli(['stats', 'auth', '--redis', bad]);
      expect(flag.exitCode).toBe(2);
      expect(flag.stderr).toMatch(/redis: expected a redis:\/\/ or rediss:\/\/ URL, got ".*:\*\*\*@/);
      const sentinel = await cli(['stats', 'auth', '--sentinels', '127.0.0.1:1', '--redis', bad]);
      expect(sentinel.exitCode).toBe(2);
      expect((await cli(['enqueue', 'auth', '{}'], { DROVER_REDIS_URL: bad })).exitCode).toBe(2);
    }
    const configDir = join(dir, 'config');
    mkdirSync(configDir);
    writeFileSync(join(configDir, 'drover.config.json'), JSON.stringify({ redis: `http://:${PASSWORD}@127.0.0.1:1`, handlers: { a: { command: [PYTHON, ARGS_HANDLER] } } }));
    const config = await runCli(['run'], { cwd: configDir });
    expectNoSecret(config.stdout + config.stderr);
    expect(config.exitCode).toBe(2);
    expect(config.stderr).toContain('redis must be a redis:// or rediss:// URL, got "http://:***@127.0.0.1:1"');
  });

  it('the Python client: the same on its error paths', async () => {
    const script = [
      'import sys',
      `sys.path.insert(0, ${JSON.stringify(`${ROOT}sdk/python`)})`,
      'from drover.client import Client, DroverError',
      'for url in sys.argv[1:]:',
      '    try:',
      '        c = Client(url)',
      '        c.stats("auth")',
      '        print("ok")',
      '    except DroverError as e:',
      '        print(e.code, e.message)',
    ].join('\n');
    const run = await execa('/usr/bin/python3', ['-c', script, url, wrongUrl, unreachableUrl, `http://:${PASSWORD}@x`], { reject: false, timeout: 60_000 });
    expectNoSecret(run.stdout + run.stderr);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('ok');
    expect(lines[1]).toContain('CONNECTION_ERROR stats: Redis refused the credentials');
    expect(lines[2]).toMatch(/^CONNECTION_ERROR stats: cannot reach Redis/);
    expect(lines[3]).toBe('INVALID_OPTION url: expected a redis:// or rediss:// URL, got "http://:***@x"');
  });
});

it('the marker directory exists (the no-file checks above looked in the right place)', () => {
  expect(existsSync(join(dir, 'shell'))).toBe(true);
});
