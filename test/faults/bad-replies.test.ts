/**
 * Bad replies from a handler, end to end through `drover run`: wrong types, invalid JSON, a line
 * over --max-line-bytes, a duplicated reply, a reply for an unknown task, binary junk, a reply
 * glued to junk, half a reply then death. Each task ends with an error that names what was
 * wrong (or completes, when a good reply followed the junk), and the same supervisor goes on
 * serving: a good task enqueued afterwards completes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../../src/client/client.js';
import type { TaskInfo } from '../../src/queue/redis/task-info.js';
import { PYTHON, ROOT } from '../helpers/handlers.js';
import { REDIS_URL, cleanupPrefix, connect, testPrefix } from '../helpers/redis.js';
import { type RunningSupervisor, startSupervisor, stopAllSupervisors, whenReady } from '../helpers/supervisor.js';

const prefix = testPrefix('bad-replies');
const redis = connect();
const client = new Client({ redis: REDIS_URL, prefix });
const HANDLER = [PYTHON, `${ROOT}test/fixtures/faults/bad-replies.py`];
const MAX_LINE_BYTES = 64 * 1024;
const TIMEOUT_MS = 2000;
/** No retries, so each task's first (bad) attempt is its outcome. */
const OPTIONS = { maxRetries: 0, timeoutMs: TIMEOUT_MS };

let sup: RunningSupervisor;
const outcomes = new Map<string, TaskInfo>();

async function run(mode: string, extra: Record<string, unknown> = {}): Promise<TaskInfo> {
  const { id } = await client.enqueue('replies', { mode, ...extra }, OPTIONS);
  return client.wait(id, { timeout: 30_000 });
}

beforeAll(async () => {
  sup = startSupervisor(prefix, ['-q', 'replies', '-c', '2', '--max-line-bytes', '64K', '--cancel-grace', '200ms', '--kill-grace', '300ms'], HANDLER);
  await whenReady(sup);
  const modes: [string, Record<string, unknown>?][] = [
    ['error-number'], ['retry-string'], ['retry-after-neg'], ['invalid-json'], ['task-id-number'],
    ['huge', { bytes: 2 * MAX_LINE_BYTES }], ['duplicate'], ['unknown-id'], ['junk'], ['glued'], ['partial-exit'],
  ];
  const finished = await Promise.all(modes.map(([mode, extra]) => run(mode, extra)));
  modes.forEach(([mode], i) => outcomes.set(mode, finished[i]!));
}, 90_000);

afterAll(async () => {
  await stopAllSupervisors();
  await client.close();
  await cleanupPrefix(redis, prefix);
  redis.disconnect();
});

function failed(mode: string): { state: string; error?: TaskInfo['error'] } {
  const t = outcomes.get(mode)!;
  return { state: t.state, error: t.error };
}

describe('a reply of the wrong shape fails its task at once, naming the field (permanent: the handler is broken)', () => {
  it.each([
    ['error-number', '"error" must be null, a string or an object'],
    ['retry-string', '"retry" must be a boolean'],
    ['retry-after-neg', '"retry_after_ms" must be a number >= 0'],
  ])('%s', (mode, why) => {
    expect(failed(mode)).toEqual({
      state: 'failed',
      error: expect.objectContaining({ reason: 'error', type: 'ProtocolError', message: `handler sent an invalid reply: ${why}` }),
    });
  });
});

describe('a line that is not a reply is handler output: the task fails at its timeout, quoting that line', () => {
  it.each([
    ['invalid-json', 'invalid JSON', '{"task_id": "replies:'],
    ['task-id-number', '"task_id" must be a string, got 123', '{"task_id": 123, "result": 1'],
    ['glued', 'not a JSON object', 'progress 50%... {"task_id": "replies:'],
  ])('%s', (mode, why, quoted) => {
    const { state, error } = failed(mode);
    expect(state).toBe('failed');
    expect(error).toMatchObject({ reason: 'timeout', type: 'Timeout' });
    expect(error!.message).toContain(`task timed out after ${TIMEOUT_MS} ms (its last non-protocol output, ${why}: "`);
    expect(error!.message).toContain(JSON.stringify(quoted).slice(1, -1));
  });
});

describe('other bad replies', () => {
  it('a reply over --max-line-bytes fails the task with the size and the limit; the process is recycled', () => {
    const { state, error } = failed('huge');
    expect(state).toBe('failed');
    expect(error).toMatchObject({ reason: 'error', type: 'LineTooLong' });
    expect(error!.message).toMatch(new RegExp(`handler wrote a protocol line of \\d+ bytes, over the maximum of ${MAX_LINE_BYTES} bytes \\(--max-line-bytes\\); the process is recycled`));
    expect(sup.log()).toContain('over-long protocol line');
  });

  it('half a reply, then death: handler_crash with the exit code and the last stderr line', () => {
    const { state, error } = failed('partial-exit');
    expect(state).toBe('failed');
    expect(error).toMatchObject({ reason: 'handler_crash' });
    expect(error!.message).toMatch(/code 3/);
    expect(error!.message).toContain('dying mid-reply');
  });

  it('a duplicated reply: the first one counts, the second is dropped and logged', () => {
    expect(outcomes.get('duplicate')).toMatchObject({ state: 'completed', result: 1 });
    expect(sup.log()).toMatch(/"task":"replies:[^"]+".*"msg":"reply for a task this process does not run: dropped"/);
  });

  it('a reply for an unknown task id is dropped and logged; the real reply completes the task', () => {
    expect(outcomes.get('unknown-id')).toMatchObject({ state: 'completed', result: { ok: 'after unknown' } });
    expect(sup.log()).toContain('"task":"no-such-task","msg":"reply for a task this process does not run: dropped"');
  });

  it('binary junk (non-UTF-8, NULs, a lone "{", a broken reply) is logged as output; the good reply completes the task', () => {
    expect(outcomes.get('junk')).toMatchObject({ state: 'completed', result: { ok: 'after junk' } });
    const log = sup.log();
    expect(log).toContain('"msg":"handler output (not a protocol message)"');
    expect(log).toContain('not utf-8'); // decoded with U+FFFD replacement characters
    expect(log).toContain('stderr junk');
  });
});

describe('the supervisor keeps serving', () => {
  it('a good task enqueued after all of the above completes on the same supervisor, which then stops cleanly', async () => {
    expect(sup.child.exitCode).toBeNull();
    const good = await run('ok', { n: 7 });
    expect(good).toMatchObject({ state: 'completed', result: { ok: { mode: 'ok', n: 7 } } });
    expect(sup.log()).not.toMatch(/uncaught|unhandled/i);
    expect(await sup.stop()).toBe(0);
  });
});
