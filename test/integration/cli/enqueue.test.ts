import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Fixture, createFixture } from '../redis/fixture.js';
import { claimWhenReady, drover, failForGood } from './drover-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'drover-enqueue-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('drover enqueue', () => {
  let f: Fixture;
  beforeEach(() => {
    f = createFixture('cli-enqueue');
  });
  afterEach(async () => {
    await f.cleanup();
  });

  it('enqueues a JSON argument and prints the task id', async () => {
    const run = await drover(f, ['enqueue', 'resize', '{"url":"a.png","w":64}']);
    expect(run.exitCode).toBe(0);
    const id = run.stdout.trim();
    expect(id).toMatch(/^resize:\S+$/);
    expect(await f.backend.get(id)).toMatchObject({ queue: 'resize', state: 'pending', payload: { url: 'a.png', w: 64 } });
  });

  it("reads one (multi-line) payload from stdin, with no argument or '-', and --json prints {id, created}", async () => {
    const noArg = await drover(f, ['enqueue', 'q', '--json'], { input: '{\n  "a": [1,\n 2]\n}\n' });
    const dash = await drover(f, ['enqueue', 'q', '-'], { input: '"text"' });
    expect(noArg.exitCode).toBe(0);
    expect(noArg.lines).toEqual([{ id: expect.stringMatching(/^q:/), created: true }]);
    expect((await f.backend.get(String(noArg.lines[0]!.id)))?.payload).toEqual({ a: [1, 2] });
    expect(dash.exitCode).toBe(0);
    expect((await f.backend.get(dash.stdout.trim()))?.payload).toBe('text');
  });

  it('rejects a payload that is not JSON, naming where it came from and the parse error', async () => {
    const arg = await drover(f, ['enqueue', 'q', '{"a":']);
    expect(arg.exitCode).toBe(2);
    expect(arg.stderr).toMatch(/the payload argument is not valid JSON \(.+\) \[INVALID_INPUT\]/);
    const stdin = await drover(f, ['enqueue', 'q'], { input: 'hello' });
    expect(stdin.exitCode).toBe(2);
    expect(stdin.stderr).toContain('the payload read from stdin is not valid JSON');
    expect(stdin.stderr).toContain('needs JSON quotes');
    expect((await f.backend.stats('q')).counts.pending).toBe(0);
  });

  it('--file enqueues every good NDJSON line, reports the bad one by number, and exits 2', async () => {
    const file = join(dir, 'tasks.ndjson');
    const lines = ['{"n":1}', '{"id":"custom","payload":{"n":2},"options":{"priority":7}}', '{"n":3', '', '[4]'];
    writeFileSync(file, lines.join('\n') + '\n');
    const run = await drover(f, ['enqueue', 'bulk', '--file', file, '--json']);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/line 3: not valid JSON \(.+\): \{"n":3 \(not enqueued\)/);
    expect(run.stderr).toContain('1 line(s) of');
    expect(run.lines.map((l) => l.line)).toEqual([1, 2, 5]);
    expect(run.lines[1]).toEqual({ id: 'bulk:custom', created: true, line: 2 });
    expect((await f.backend.stats('bulk')).counts.pending).toBe(3);
    expect(await f.backend.get('bulk:custom')).toMatchObject({ payload: { n: 2 }, options: { priority: 7 } });
    expect((await f.backend.get(String(run.lines[2]!.id)))?.payload).toEqual([4]);
  });

  it('--file - reads NDJSON from stdin; a line with a bad option is reported, not enqueued', async () => {
    const input = ['1', '{"payload":2,"options":{"priority":5000}}', '3'].join('\n');
    const run = await drover(f, ['enqueue', 'q', '--file', '-'], { input });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('line 2: priority: expected an integer in [-1000, 1000], got 5000');
    expect(run.stdout.trim().split('\n')).toHaveLength(2);
    expect((await f.backend.stats('q')).counts.pending).toBe(2);
  });

  it('passes priority, max retries, task timeout, type and result TTL to the task', async () => {
    const run = await drover(f, [
      'enqueue', 'opts', '{}', '--priority', '-5', '--max-retries', '7', '--task-timeout', '2m', '--type', 'thumb', '--result-ttl', '1h',
    ]);
    expect(run.exitCode).toBe(0);
    const task = await f.backend.get(run.stdout.trim());
    expect(task).toMatchObject({ state: 'pending', type: 'thumb', maxRetry: 7 });
    expect(task?.options).toMatchObject({ priority: -5, maxRetries: 7, timeoutMs: 120_000, resultTtlMs: 3_600_000 });
  });

  it('--delay and --run-at schedule the task', async () => {
    const before = Date.now();
    const delayed = await drover(f, ['enqueue', 'later', '1', '--delay', '10m']);
    const at = await drover(f, ['enqueue', 'later', '2', '--run-at', '2031-05-01T10:00:00Z']);
    const both = await drover(f, ['enqueue', 'later', '3', '--delay', '1s', '--run-at', '2031-05-01T10:00:00Z']);
    const d = await f.backend.get(delayed.stdout.trim());
    expect(d?.state).toBe('scheduled');
    expect(d?.runAt).toBeGreaterThanOrEqual(before + 590_000);
    expect(d?.runAt).toBeLessThan(Date.now() + 610_000);
    expect(await f.backend.get(at.stdout.trim())).toMatchObject({ state: 'scheduled', runAt: Date.parse('2031-05-01T10:00:00Z') });
    expect(both.exitCode).toBe(2);
    expect(both.stderr).toContain('--delay and --run-at');
    expect((await f.backend.stats('later')).counts).toMatchObject({ pending: 0, scheduled: 2 });
  });

  it('the same --idempotency-key gives the same task id (created: false the second time)', async () => {
    const first = await drover(f, ['enqueue', 'idem', '1', '--idempotency-key', 'order-42', '--json']);
    const second = await drover(f, ['enqueue', 'idem', '2', '--idempotency-key', 'order-42', '--json']);
    expect(first.lines[0]).toMatchObject({ created: true });
    expect(second.lines[0]).toEqual({ id: first.lines[0]!.id, created: false });
    expect((await f.backend.stats('idem')).counts.pending).toBe(1);
  });

  it('--wait prints the result once a worker completes the task', async () => {
    const running = drover(f, ['enqueue', 'add', '{"a":2,"b":3}', '--wait', '--timeout', '20s']);
    const task = await claimWhenReady(f, 'add');
    const { a, b } = task.payload as { a: number; b: number };
    await f.backend.complete(task, { sum: a + b });
    const run = await running;
    expect(run.exitCode).toBe(0);
    expect(run.lines).toEqual([{ id: task.id, state: 'completed', result: { sum: 5 } }]);
  });

  it('--wait exits 1 with the error when the task fails, and waits for every --file task', async () => {
    const running = drover(f, ['enqueue', 'mixed', '--file', '-', '--wait'], { input: '{"ok":true}\n{"ok":false}\n' });
    for (let i = 0; i < 2; i += 1) {
      const task = await claimWhenReady(f, 'mixed');
      if ((task.payload as { ok: boolean }).ok) await f.backend.complete(task, 'fine');
      else await failForGood(f, task, 'bad input');
    }
    const run = await running;
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/1 of 2 tasks failed or were cancelled \(first: mixed:\S+ failed: bad input \(error\)\) \[TASK_FAILED\]/);
    const byState = Object.fromEntries(run.lines.map((l) => [String(l.state), l]));
    expect(byState.completed).toMatchObject({ result: 'fine' });
    expect(byState.failed).toMatchObject({ error: { message: 'bad input', type: 'ValueError', reason: 'error' } });
  });

  it('--wait --timeout exits 5 and prints the unfinished task with its state', async () => {
    const started = Date.now();
    const run = await drover(f, ['enqueue', 'nobody', '1', '--wait', '--timeout', '400ms']);
    expect(run.exitCode).toBe(5);
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(run.lines).toEqual([{ id: expect.stringMatching(/^nobody:/), state: 'pending' }]);
    expect(run.stderr).toMatch(/did not finish within 400ms .*\[WAIT_TIMEOUT\]/);
  });
});
