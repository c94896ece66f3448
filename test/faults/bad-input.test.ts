/**
 * Bad input on the enqueue side, through the three doors users have: the CLI (`drover enqueue`,
 * exit 2 and a message naming the field), the TypeScript Client (a DroverError with a code) and
 * the Python client (a DroverError with the same code and message). Also what is NOT bad input:
 * any JSON value is a payload, a never-seen queue name just makes a queue.
 */
import { execa } from 'execa';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../../src/client/client.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { PYTHON, ROOT, fixture } from '../helpers/handlers.js';
import { REDIS_URL, cleanupPrefix, connect, testPrefix } from '../helpers/redis.js';
import { startSupervisor, stopAllSupervisors, whenReady } from '../helpers/supervisor.js';

const prefix = testPrefix('bad-input');
const redis = connect();
const client = new Client({ redis: REDIS_URL, prefix });
const dir = mkdtempSync(join(tmpdir(), 'drover-bad-input-'));
const MiB = 1024 * 1024;

afterAll(async () => {
  await stopAllSupervisors();
  await client.close();
  await cleanupPrefix(redis, prefix);
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

function cli(args: string[], input?: string): Promise<CliRun> {
  return runCli([...args, '--redis', REDIS_URL, '--prefix', prefix], input === undefined ? {} : { input });
}

async function pending(queue: string): Promise<number> {
  return (await client.stats(queue)).counts.pending;
}

describe('drover enqueue: bad input exits 2 with a message naming what was wrong', () => {
  // [arguments, stdin, what stderr must say]
  const cases: [string, string[], string | undefined, RegExp][] = [
    ['malformed JSON argument', ['enqueue', 'q-cli', '{"a":'], undefined, /the payload argument is not valid JSON \(.+\) \[INVALID_INPUT\]/],
    ['an unquoted string', ['enqueue', 'q-cli', 'hello'], undefined, /not valid JSON .*a string payload needs JSON quotes/],
    ['malformed JSON on stdin', ['enqueue', 'q-cli', '-'], '{"a": [1, 2}', /the payload read from stdin is not valid JSON/],
    ['empty stdin', ['enqueue', 'q-cli'], '', /no payload: stdin was empty/],
    ['a queue name with a space', ['enqueue', 'bad name', '1'], undefined, /queue: expected 1-128 characters of \[A-Za-z0-9_.-\], got "bad name" \[INVALID_OPTION\]/],
    ['a queue name with a brace', ['enqueue', 'a{b}', '1'], undefined, /queue: expected .* got "a\{b\}"/],
    ['priority NaN', ['enqueue', 'q-cli', '1', '--priority', 'NaN'], undefined, /option '--priority <n>' argument 'NaN' is invalid\. expected an integer/],
    ['priority Infinity', ['enqueue', 'q-cli', '1', '--priority', 'Infinity'], undefined, /'--priority <n>' argument 'Infinity' is invalid/],
    ['priority 1.5', ['enqueue', 'q-cli', '1', '--priority', '1.5'], undefined, /'--priority <n>' argument '1.5' is invalid/],
    ['priority out of range', ['enqueue', 'q-cli', '1', '--priority', '5000'], undefined, /'--priority <n>' argument '5000' is invalid\. expected an integer in \[-1000, 1000\]/],
    ['a negative task timeout', ['enqueue', 'q-cli', '1', '--task-timeout', '-5s'], undefined, /'--task-timeout <duration>' argument '-5s' is invalid/],
    ['non-integer retries', ['enqueue', 'q-cli', '1', '--max-retries', '1.5'], undefined, /'--max-retries <n>' argument '1.5' is invalid\. expected a whole number/],
    ['negative retries', ['enqueue', 'q-cli', '1', '--max-retries', '-1'], undefined, /'--max-retries <n>' argument '-1' is invalid/],
    ['a delay that is not a duration', ['enqueue', 'q-cli', '1', '--delay', 'soon'], undefined, /'--delay <duration>' argument 'soon' is invalid/],
    ['a zero result TTL', ['enqueue', 'q-cli', '1', '--result-ttl', '0'], undefined, /resultTtlMs: expected an integer in \[1, \d+\], got 0 \[INVALID_OPTION\]/],
    ['an empty type', ['enqueue', 'q-cli', '1', '--type', ''], undefined, /type: expected a non-empty string/],
    ['a zero payload limit', ['enqueue', 'q-cli', '1', '--max-payload-bytes', '0'], undefined, /maxPayloadBytes: expected an integer in \[1, \d+\], got 0 \[INVALID_OPTION\]/],
    ['a payload over --max-payload-bytes', ['enqueue', 'q-cli', '"0123456789"', '--max-payload-bytes', '10'], undefined, /payload: 12 bytes of JSON, over the limit of 10 bytes \(maxPayloadBytes\).* \[PAYLOAD_TOO_LARGE\]/],
  ];

  // Independent processes: run them a few at a time.
  it.concurrent.each(cases)('%s', async (_name, args, input, message) => {
    const run = await cli(args, input);
    expect(run.exitCode, run.stderr).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });

  it('nothing of the above was enqueued', async () => {
    expect(await pending('q-cli')).toBe(0);
  });

  it('a payload over the 16 MiB default, piped on stdin, is refused before anything is sent', async () => {
    const run = await cli(['enqueue', 'q-big'], JSON.stringify('x'.repeat(16 * MiB)));
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain(`payload: ${16 * MiB + 2} bytes of JSON, over the limit of ${16 * MiB} bytes`);
    expect(await pending('q-big')).toBe(0);
  });

  it('--file: each bad line is reported by number and skipped, the good lines are enqueued, exit 2', async () => {
    const file = join(dir, 'mixed.ndjson');
    const lines = [
      '{"n":1}',
      '{"n":2',
      '{"payload":3,"options":{"priority":"high"}}',
      '{"payload":4,"options":{"timeout":5000}}',
      '{"payload":5,"options":{"maxRetries":-1}}',
      JSON.stringify({ payload: 'y'.repeat(64) }),
      '"seven"',
    ];
    writeFileSync(file, `${lines.join('\n')}\n`);
    const run = await cli(['enqueue', 'q-file', '--file', file, '--json', '--max-payload-bytes', '32']);
    expect(run.exitCode).toBe(2);
    expect(run.lines.map((l) => l.line)).toEqual([1, 7]);
    expect(run.stderr).toContain('line 2: not valid JSON');
    expect(run.stderr).toContain('line 3: priority: expected an integer in [-1000, 1000], got "high"');
    expect(run.stderr).toContain('line 4: options: unknown option "timeout"');
    expect(run.stderr).toContain('line 5: maxRetries: expected an integer in [0, 1000000], got -1');
    expect(run.stderr).toContain('line 6: payload: 66 bytes of JSON, over the limit of 32 bytes');
    expect(run.stderr).toContain('5 line(s) of ' + file + ' not enqueued (line 2, 3, 4, 5, 6); 2 enqueued [INVALID_INPUT]');
    expect(await pending('q-file')).toBe(2);
  });
});

describe('unknown names: a never-seen queue is fine to enqueue to; stats and get say when a name finds nothing', () => {
  it('enqueue to a queue never seen before creates it (BullMQ, asynq): exit 0 and a task id', async () => {
    const run = await cli(['enqueue', 'fresh-queue-never-seen', '{}']);
    expect(run.exitCode).toBe(0);
    expect(run.stdout.trim()).toMatch(/^fresh-queue-never-seen:\S+$/);
  });

  it('stats of a queue with no tasks, history or supervisor: zeros, exit 0, and a notice naming the prefix', async () => {
    const run = await cli(['stats', 'no-such-queue', '--json']);
    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.stdout).queues[0]).toMatchObject({ queue: 'no-such-queue', counts: { pending: 0, active: 0 } });
    expect(run.stderr).toContain(`queue "no-such-queue" has no tasks, no history and no supervisor under prefix "${prefix}" (a typo, or another --prefix?)`);
    const used = await cli(['stats', 'fresh-queue-never-seen', '--json']);
    expect(used.stderr).not.toContain('has no tasks');
  });

  it('stats of an invalid queue name: exit 2 naming the queue', async () => {
    const run = await cli(['stats', 'bad name']);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('queue: expected 1-128 characters of [A-Za-z0-9_.-], got "bad name"');
  });

  it('get: an id without a queue is "not a drover task id", an unknown one "not found"; both exit 4', async () => {
    const bare = await cli(['get', 'nosuchid']);
    expect(bare.exitCode).toBe(4);
    expect(bare.stderr).toContain('task nosuchid is not a drover task id (expected <queue>:<suffix>, as enqueue prints it) [TASK_NOT_FOUND]');
    const unknown = await cli(['get', 'q:nope']);
    expect(unknown.exitCode).toBe(4);
    expect(unknown.stderr).toContain('task q:nope not found (unknown, deleted or expired) [TASK_NOT_FOUND]');
  });
});

describe('TypeScript Client: bad input is a DroverError with a code and a message naming the field', () => {
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  // [case, queue, payload, options, code, message]
  const cases: [string, unknown, unknown, unknown, string, string][] = [
    ['priority NaN', 'q-ts', 1, { priority: Number.NaN }, 'INVALID_OPTION', 'priority: expected an integer in [-1000, 1000], got NaN'],
    ['priority Infinity', 'q-ts', 1, { priority: Number.POSITIVE_INFINITY }, 'INVALID_OPTION', 'priority: expected an integer in [-1000, 1000], got Infinity'],
    ['priority 1.5', 'q-ts', 1, { priority: 1.5 }, 'INVALID_OPTION', 'priority: expected an integer in [-1000, 1000], got 1.5'],
    ['priority as a string', 'q-ts', 1, { priority: '5' }, 'INVALID_OPTION', 'priority: expected an integer in [-1000, 1000], got "5"'],
    ['negative timeoutMs', 'q-ts', 1, { timeoutMs: -1 }, 'INVALID_OPTION', 'timeoutMs: expected an integer in [0, 9007199254740991], got -1'],
    ['maxRetries 1.5', 'q-ts', 1, { maxRetries: 1.5 }, 'INVALID_OPTION', 'maxRetries: expected an integer in [0, 1000000], got 1.5'],
    ['delayMs NaN', 'q-ts', 1, { delayMs: Number.NaN }, 'INVALID_OPTION', 'delayMs: expected an integer in [0, 9007199254740991], got NaN'],
    ['backoff.baseMs -1', 'q-ts', 1, { backoff: { baseMs: -1 } }, 'INVALID_OPTION', 'backoff.baseMs: expected an integer >= 0, got -1'],
    ['backoff.maxMs NaN', 'q-ts', 1, { backoff: { maxMs: Number.NaN } }, 'INVALID_OPTION', 'backoff.maxMs: expected an integer >= 1000, got NaN'],
    ['meta as an array', 'q-ts', 1, { meta: [] }, 'INVALID_OPTION', 'meta: expected a plain object, got []'],
    ['a misspelt option', 'q-ts', 1, { timeout: 5000 }, 'INVALID_OPTION', 'options: unknown option "timeout" (expected one of priority, delayMs'],
    ['options not an object', 'q-ts', 1, 'fast', 'INVALID_OPTION', 'options: expected an object, got "fast"'],
    ['a queue name with a space', 'bad name', 1, undefined, 'INVALID_OPTION', 'queue: expected 1-128 characters of [A-Za-z0-9_.-], got "bad name"'],
    ['no queue name', undefined, 1, undefined, 'INVALID_OPTION', 'queue: expected 1-128 characters of [A-Za-z0-9_.-], got undefined'],
    ['a BigInt payload', 'q-ts', 10n, undefined, 'INVALID_INPUT', 'payload is not JSON-serializable: TypeError: Do not know how to serialize a BigInt'],
    ['a circular payload', 'q-ts', circular, undefined, 'INVALID_INPUT', 'payload is not JSON-serializable: TypeError: Converting circular structure to JSON'],
    ['a function payload', 'q-ts', () => 1, undefined, 'INVALID_INPUT', 'payload: a function is not JSON'],
    ['a payload over 16 MiB', 'q-ts', 'x'.repeat(16 * MiB), undefined, 'PAYLOAD_TOO_LARGE', `payload: ${16 * MiB + 2} bytes of JSON, over the limit of ${16 * MiB} bytes (maxPayloadBytes)`],
  ];

  it.each(cases)('%s', async (_name, queue, payload, options, code, message) => {
    const error = await client.enqueue(queue as string, payload, options as never).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'DroverError', code });
    expect((error as Error).message).toContain(message);
  });

  it('the payload limit counts UTF-8 bytes, not characters, and is per client (maxPayloadBytes)', async () => {
    const small = new Client({ redis: REDIS_URL, prefix, maxPayloadBytes: 9 });
    try {
      // '"éééé"' is 6 characters but 10 bytes.
      await expect(small.enqueue('q-ts', 'éééé')).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE', message: expect.stringContaining('payload: 10 bytes of JSON, over the limit of 9 bytes') });
      const fits = await small.enqueue('q-ts', '1234567');
      expect((await small.get(fits.id)).payload).toBe('1234567');
      // One bad item: the error names it and nothing of the batch is sent.
      await expect(small.enqueueMany('q-ts-many', [{ payload: 1 }, { payload: 'x'.repeat(20) }])).rejects.toMatchObject({
        code: 'PAYLOAD_TOO_LARGE',
        message: expect.stringMatching(/^items\[1\]: payload: 22 bytes of JSON/),
      });
      expect(await pending('q-ts-many')).toBe(0);
    } finally {
      await small.close();
    }
    expect(() => new Client({ redis: REDIS_URL, prefix, maxPayloadBytes: 0 })).toThrow(/maxPayloadBytes: expected an integer in \[1, \d+\], got 0/);
  });

  it('nothing of the above was enqueued', async () => {
    expect(await pending('q-ts')).toBe(1); // only the 9-byte payload that fits
  });
});

describe('Python client: the same rules, the same codes and messages (snake_case names)', () => {
  let results: Map<string, { ok: boolean; error?: string; code?: string; message?: string; payload?: unknown }>;
  beforeAll(async () => {
    const run = await execa('/usr/bin/python3', [join(ROOT, 'test/fixtures/faults/bad-input-client.py')], {
      env: { REDIS_URL, PREFIX: prefix },
      reject: false,
      timeout: 60_000,
    });
    expect(run.exitCode, run.stderr).toBe(0);
    results = new Map(run.stdout.split('\n').filter(Boolean).map((l) => {
      const r = JSON.parse(l) as { case: string; ok: boolean };
      return [r.case, r];
    }));
  }, 60_000);

  it.each([
    ['priority NaN', 'INVALID_OPTION', 'priority: expected an integer in [-1000, 1000], got NaN'],
    ['priority Infinity', 'INVALID_OPTION', 'priority: expected an integer in [-1000, 1000], got Infinity'],
    ['priority 1.5', 'INVALID_OPTION', 'priority: expected an integer in [-1000, 1000], got 1.5'],
    ['priority True', 'INVALID_OPTION', 'priority: expected an integer in [-1000, 1000], got true'],
    ['timeout_ms -1', 'INVALID_OPTION', 'timeout_ms: expected an integer in [0, 9007199254740991], got -1'],
    ['max_retries 1.5', 'INVALID_OPTION', 'max_retries: expected an integer in [0, 1000000], got 1.5'],
    ['delay_ms NaN', 'INVALID_OPTION', 'delay_ms: expected an integer in [0, 9007199254740991], got NaN'],
    ['backoff base_ms -1', 'INVALID_OPTION', 'backoff.base_ms: expected an integer >= 0, got -1'],
    ['meta list', 'INVALID_OPTION', 'meta: expected a plain object, got []'],
    ['queue with a space', 'INVALID_OPTION', 'queue: expected 1-128 characters of [A-Za-z0-9_.-], got "bad name"'],
    ['queue None', 'INVALID_OPTION', 'queue: expected 1-128 characters of [A-Za-z0-9_.-], got null'],
    ['payload object()', 'INVALID_INPUT', 'payload is not JSON-serializable: Object of type object is not JSON serializable'],
    ['payload NaN inside', 'INVALID_INPUT', 'payload is not JSON-serializable: Out of range float values are not JSON compliant'],
    ['payload bytes', 'INVALID_INPUT', 'payload is not JSON-serializable: Object of type bytes is not JSON serializable'],
    ['payload over 16 MiB', 'PAYLOAD_TOO_LARGE', `payload: ${16 * MiB + 2} bytes of JSON, over the limit of ${16 * MiB} bytes (max_payload_bytes)`],
    ['payload 10 bytes of UTF-8 over 9', 'PAYLOAD_TOO_LARGE', 'payload: 10 bytes of JSON, over the limit of 9 bytes'],
    ['payload of 5 emoji: 22 bytes over 21', 'PAYLOAD_TOO_LARGE', 'payload: 22 bytes of JSON, over the limit of 21 bytes'],
    ['enqueue_many one item too large', 'PAYLOAD_TOO_LARGE', 'items[1]: payload: 22 bytes of JSON, over the limit of 9 bytes'],
    ['max_payload_bytes 0', 'INVALID_OPTION', 'max_payload_bytes: expected an integer in [1, 9007199254740991], got 0'],
    ['get of a non-drover id', 'TASK_NOT_FOUND', 'task nosuchid not found (not a drover task id)'],
  ])('%s -> %s', (name, code, message) => {
    expect(results.get(name)).toMatchObject({ ok: false, error: 'DroverError', code, message: expect.stringContaining(message) });
  });

  it('a misspelt keyword is a TypeError naming it (Python keyword arguments)', () => {
    expect(results.get('unknown option')).toMatchObject({ ok: false, error: 'TypeError', message: expect.stringContaining("unexpected keyword argument 'timeout'") });
  });

  it('any JSON value is a payload; a never-seen queue has zero counts', () => {
    expect(results.get('payload 9 bytes at 9')).toEqual({ case: 'payload 9 bytes at 9', ok: true, payload: '1234567' });
    expect(results.get('payload 42')?.payload).toBe(42);
    expect(results.get('payload text')?.payload).toBe('text');
    expect(results.get('payload list')?.payload).toEqual([1, 'two', null]);
    expect(results.get('payload None')).toMatchObject({ ok: true, payload: null });
    expect(results.get('stats of a never-seen queue')).toMatchObject({ ok: true });
  });
});

describe('payloads that are not objects reach the handler verbatim (the protocol: "payload": <any JSON>)', () => {
  it('number, string, array, null, boolean and a nested object, through drover run', async () => {
    const sup = startSupervisor(prefix, ['-q', 'any-json'], [PYTHON, fixture('echo.py')]);
    await whenReady(sup);
    const payloads: unknown[] = [42, 'text', [1, 'two', null], null, true, { a: { b: [1.5, 'é✓'] } }];
    const ids = await Promise.all(payloads.map(async (p) => (await client.enqueue('any-json', p)).id));
    const results = await Promise.all(ids.map((id) => client.wait(id, { timeout: 20_000 })));
    expect(results.map((t) => (t.result as { echo: unknown }).echo)).toEqual(payloads);
    // JSON.stringify semantics in TypeScript: undefined is null, NaN inside an object is null (Python refuses NaN).
    const loose = await Promise.all([client.enqueue('any-json', undefined), client.enqueue('any-json', { x: Number.NaN })]);
    const echoed = await Promise.all(loose.map(async (r) => ((await client.wait(r.id, { timeout: 20_000 })).result as { echo: unknown }).echo));
    expect(echoed).toEqual([null, { x: null }]);
    expect(await sup.stop()).toBe(0);
  });
});
