import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DROVER_BIN } from '../../helpers/cli.js';
import { ROOT } from '../../helpers/handlers.js';
import { canRun } from '../../helpers/os.js';
import { REDIS_URL } from '../../helpers/redis.js';
import { type Fixture, createFixture } from '../redis/fixture.js';
import { claimWhenReady, drover, makeDead } from './drover-cli.js';

/** util-linux `script` gives the CLI a pseudo-terminal (for the TTY-only output). */
const hasScript = canRun('script', ['--version']);

describe('drover get / cancel / stats / dead', () => {
  let f: Fixture;
  beforeEach(() => {
    f = createFixture('cli-inspect');
  });
  afterEach(async () => {
    await f.cleanup();
  });

  it('get of a completed task prints it as JSON (stdout is not a terminal) with result and times', async () => {
    const { id } = await f.backend.enqueue('img', { w: 1 }, { type: 'thumb' });
    await f.backend.complete(await claimWhenReady(f, 'img'), { ok: 1 });
    for (const args of [['get', id], ['get', id, '--json']]) {
      const run = await drover(f, args);
      expect(run.exitCode).toBe(0);
      expect(run.lines).toHaveLength(1);
      expect(run.lines[0]).toMatchObject({ id, queue: 'img', state: 'completed', type: 'thumb', result: { ok: 1 }, attempts: 1, payload: { w: 1 } });
      expect(run.lines[0]!.finishedAt).toEqual(expect.any(Number));
    }
  });

  it('get of a failed task shows the error with its reason and the attempts', async () => {
    const id = await makeDead(f, 'img', 1, 'corrupt file');
    const run = await drover(f, ['get', id]);
    expect(run.exitCode).toBe(0);
    expect(run.lines[0]).toMatchObject({ state: 'failed', attempts: 1, error: { message: 'corrupt file', type: 'ValueError', reason: 'error' } });
  });

  it('get of an unknown id exits 4 with TASK_NOT_FOUND', async () => {
    const expected: Record<string, string> = {
      'img:no-such-task': 'drover: task img:no-such-task not found',
      'not-a-drover-id': 'drover: task not-a-drover-id is not a drover task id (expected <queue>:<suffix>',
    };
    for (const [id, message] of Object.entries(expected)) {
      const run = await drover(f, ['get', id]);
      expect(run.exitCode).toBe(4);
      expect(run.stderr).toContain(message);
      expect(run.stderr).toContain('[TASK_NOT_FOUND]');
      expect(run.stdout).toBe('');
    }
  });

  it.skipIf(!hasScript)('get on a terminal prints a readable block', async () => {
    const id = await makeDead(f, 'img', { w: 2 }, 'corrupt file');
    const cmd = [process.execPath, DROVER_BIN, 'get', id, '--redis', REDIS_URL, '--prefix', f.prefix].join(' ');
    const out = execFileSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', cwd: ROOT });
    expect(out).toMatch(new RegExp(`id:\\s+${id}`));
    expect(out).toMatch(/state:\s+failed/);
    expect(out).toMatch(/error:\s+\[error\] ValueError: corrupt file/);
    expect(out).toMatch(/payload:\s+\{"w":2\}/);
    expect(out).not.toContain('{"id"');
  });

  it('cancel: a pending task ends cancelled, an active one gets a cancel request, an unknown id exits 4', async () => {
    const pending = (await f.backend.enqueue('c', 1)).id;
    const text = await drover(f, ['cancel', pending]);
    expect(text.exitCode).toBe(0);
    expect(text.stdout.trim()).toBe(`${pending} cancelled`);
    expect((await f.backend.get(pending))?.state).toBe('cancelled');

    const active = (await f.backend.enqueue('c', 2)).id;
    await claimWhenReady(f, 'c');
    const json = await drover(f, ['cancel', active, '--json']);
    expect(json.lines).toEqual([{ id: active, state: 'active', cancelRequested: true }]);
    expect((await f.backend.get(active))?.cancelRequested).toBe(true);

    const unknown = await drover(f, ['cancel', 'c:nope']);
    expect(unknown.exitCode).toBe(4);
    expect(unknown.stderr).toContain('[TASK_NOT_FOUND]');
  });

  it('stats --json: counts per state, totals, reasons, throughput windows, supervisors; queues discovered from supervisors', async () => {
    await f.backend.enqueue('s', 1);
    await f.backend.enqueue('s', 2, { delayMs: 600_000 });
    await f.backend.complete(await claimWhenReady(f, 's'), 'ok');
    await f.backend.enqueue('s', 3);
    await claimWhenReady(f, 's'); // stays active
    await makeDead(f, 's', 4, 'boom');
    await f.backend.enqueue('s', 5);
    await f.backend.registerSupervisor({ id: 'sup-a', hostname: 'gpu-1', pid: 4242, queues: ['s', 'other'], concurrency: 4 }, 60_000);

    const run = await drover(f, ['stats', '--json']);
    expect(run.exitCode).toBe(0);
    expect(run.lines).toHaveLength(1);
    const doc = run.lines[0] as { queues: Record<string, unknown>[]; supervisors: Record<string, unknown>[] };
    expect(doc.queues.map((q) => q.queue)).toEqual(['other', 's']);
    const s = doc.queues[1]!;
    expect(s.counts).toEqual({ pending: 1, scheduled: 1, active: 1, completed: 1, failed: 1, cancelled: 0 });
    expect(s.totals).toEqual({ completed: 1, failed: 1, cancelled: 0, retried: 0, staleReplies: 0 });
    expect(s.failuresByReason).toMatchObject({ error: 1, timeout: 0, handler_crash: 0 });
    expect(s.throughput).toEqual({ lastMinute: { completed: 1, failed: 1 }, last5Minutes: { completed: 1, failed: 1 } });
    expect(s.supervisors).toBe(1);
    expect(doc.supervisors).toEqual([
      expect.objectContaining({ id: 'sup-a', hostname: 'gpu-1', pid: 4242, queues: ['s', 'other'], concurrency: 4, lastSeen: expect.any(Number) }),
    ]);
  });

  it('stats prints aligned tables; a named queue is shown even with no supervisor', async () => {
    await makeDead(f, 'tbl', 1, 'x');
    await f.backend.enqueue('tbl', 2);
    await f.backend.enqueue('tbl', 3);
    const run = await drover(f, ['stats', 'tbl']);
    expect(run.exitCode).toBe(0);
    const lines = run.stdout.split('\n');
    const header = lines.findIndex((l) => l.startsWith('QUEUE  PENDING'));
    expect(header).toBeGreaterThanOrEqual(0);
    expect(lines[header + 1]).toMatch(/^tbl\s+2\s+0\s+0\s+0\s+1\s+0\s+0$/);
    expect(lines[header]!.indexOf('PENDING') + 'PENDING'.length).toBe(lines[header + 1]!.indexOf('2') + 1);
    expect(run.stdout).toContain('STALE REPLIES DROPPED');
    expect(run.stdout).toContain('Supervisors alive: none');
  });

  it('dead list: a table by default, NDJSON with --json, paged by --limit and --offset', async () => {
    const first = await makeDead(f, 'd', 1, 'first failure');
    const second = await makeDead(f, 'd', 2, 'second failure');
    const table = await drover(f, ['dead', 'list', 'd']);
    expect(table.exitCode).toBe(0);
    expect(table.stdout).toMatch(/^ID\s+FAILED\s+ATTEMPTS\s+REASON\s+ERROR/);
    expect(table.stdout).toContain('ValueError: second failure');
    expect(table.stdout).toContain('1-2 of 2 dead tasks in d');

    const json = await drover(f, ['dead', 'list', 'd', '--json']);
    expect(json.lines.map((l) => l.id)).toEqual([second, first]);
    expect(json.lines[0]).toMatchObject({ state: 'failed', error: { message: 'second failure', reason: 'error' } });
    const page = await drover(f, ['dead', 'list', 'd', '--json', '--limit', '1', '--offset', '1']);
    expect(page.lines.map((l) => l.id)).toEqual([first]);
  });

  it('dead retry: named ids, then all; an id that is not dead exits 4', async () => {
    const a = await makeDead(f, 'r', 'a', 'x');
    const b = await makeDead(f, 'r', 'b', 'x');
    const c = await makeDead(f, 'r', 'c', 'x');
    const one = await drover(f, ['dead', 'retry', 'r', a, '--json']);
    expect(one.exitCode).toBe(0);
    expect(one.lines).toEqual([{ queue: 'r', retried: 1 }]);
    expect(await f.backend.get(a)).toMatchObject({ state: 'pending', retryCount: 0 });
    expect((await f.backend.get(b))?.state).toBe('failed');

    const all = await drover(f, ['dead', 'retry', 'r']);
    expect(all.stdout.trim()).toBe('retried 2 dead task(s) of r: back to pending');
    expect((await f.backend.stats('r')).counts).toMatchObject({ pending: 3, failed: 0 });

    const notDead = await drover(f, ['dead', 'retry', 'r', c, 'r:unknown']);
    expect(notDead.exitCode).toBe(4);
    expect(notDead.stderr).toContain(`${c} (pending in r), r:unknown (not found)`);
  });

  it('dead purge refuses without --yes when nobody can confirm, and deletes with --yes', async () => {
    const id = await makeDead(f, 'p', 1, 'x');
    await makeDead(f, 'p', 2, 'x');
    const refused = await drover(f, ['dead', 'purge', 'p']);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('deletes all 2 dead task(s) of p for good: add --yes');
    expect((await f.backend.stats('p')).counts.failed).toBe(2);

    const purged = await drover(f, ['dead', 'purge', 'p', '--yes', '--json']);
    expect(purged.exitCode).toBe(0);
    expect(purged.lines).toEqual([{ queue: 'p', purged: 2 }]);
    expect(await f.backend.get(id)).toBeNull();
    expect((await f.backend.stats('p')).counts.failed).toBe(0);
  });

  it('a failed fake worker keeps the task out of the dead set while it has retries left', async () => {
    const { id } = await f.backend.enqueue('w', 1, { maxRetries: 2 });
    await f.backend.fail(await claimWhenReady(f, 'w'), { reason: 'timeout', error: { message: 'slow', reason: 'timeout' }, retry: true });
    const dead = await drover(f, ['dead', 'list', 'w', '--json']);
    expect(dead.lines).toEqual([]);
    const get = await drover(f, ['get', id]);
    expect(get.lines[0]).toMatchObject({ state: 'scheduled', retryCount: 1, error: { reason: 'timeout' } });
  });
});
