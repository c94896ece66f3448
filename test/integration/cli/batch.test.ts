import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { runCli } from '../../helpers/cli.js';
import { PYTHON, fixture, until } from '../../helpers/handlers.js';
import { isAlive } from '../../helpers/os.js';

const dir = mkdtempSync(join(tmpdir(), 'drover-batch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function inputFile(name: string, lines: unknown[]): string {
  const path = join(dir, name);
  writeFileSync(path, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
  return path;
}

function readLines(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/**
 * Waits for the run's "handler ready" log line: by then drover handles SIGINT itself (a signal
 * sent while Node still loads, on a busy machine, would kill it with no exit code).
 */
async function untilHandlerReady(child: { stderr: NodeJS.ReadableStream | null }): Promise<void> {
  let log = '';
  child.stderr?.on('data', (d: Buffer) => (log += d.toString('utf8')));
  await until(() => log.includes('"handler ready"'), 15_000, () => `the handler to be ready:\n${log}`);
}

describe('drover batch', () => {
  it('runs bare payloads and {id,payload} envelopes from stdin to stdout', async () => {
    const run = await runCli(['batch', '-c', '2', '--', PYTHON, fixture('echo.py')], {
      input: ['{"x":1}', '"two"', '{"id":"custom","payload":[3]}'].join('\n'),
    });
    expect(run.exitCode).toBe(0);
    const byId = Object.fromEntries(run.lines.map((l) => [l.id, l]));
    expect(byId['1']).toMatchObject({ result: { echo: { x: 1 } } });
    expect(byId['2']).toMatchObject({ result: { echo: 'two' } });
    expect(byId.custom).toMatchObject({ result: { echo: [3] } });
    expect(run.stderr).toContain('drover batch: 3 succeeded, 0 failed');
  });

  it('reports a malformed input line as a failed task naming the line, and runs the rest', async () => {
    const input = inputFile('bad.ndjson', [{ a: 1 }, '{"a":', { a: 3 }]);
    const run = await runCli(['batch', '--input', input, '--', PYTHON, fixture('echo.py')]);
    expect(run.exitCode).toBe(1);
    const bad = run.lines.find((l) => l.id === '2');
    expect(bad).toMatchObject({ attempts: 0, error: { reason: 'invalid_input', type: 'InvalidInput' } });
    expect(String((bad?.error as { message: string }).message)).toMatch(/input line 2 is not valid JSON/);
    expect(run.lines.filter((l) => 'result' in l)).toHaveLength(2);
  });

  it('retries retryable failures, honours retry_after_ms, and reports permanent ones with attempts', async () => {
    const input = inputFile('flaky.ndjson', [
      { id: 'eventually', payload: { succeed_on: 2 } },
      { id: 'slow-down', payload: { succeed_on: 1, retry_after_ms: 1500 } },
      { id: 'never', payload: { succeed_on: 99 } },
      { id: 'bad', payload: { permanent: true } },
    ]);
    const started = Date.now();
    const run = await runCli(['batch', '-i', input, '--retries', '2', '-c', '2', '--', PYTHON, fixture('flaky.py')], {
      env: { DROVER_TEST: '1' },
    });
    expect(run.exitCode).toBe(1);
    const byId = Object.fromEntries(run.lines.map((l) => [l.id, l]));
    expect(byId.eventually).toMatchObject({ result: { attempt: 2 } });
    expect(byId.never).toMatchObject({ attempts: 3, error: { message: 'upstream 429', reason: 'error' } });
    expect(byId.bad).toMatchObject({ attempts: 1, error: { message: 'bad input', type: 'ValueError' } });
    const at = (byId['slow-down']!.result as { at: number }).at;
    expect(at - started).toBeGreaterThanOrEqual(1500);
    expect(run.stderr).toMatch(/2 succeeded, 2 failed \(2 error\)/);
  });

  it('ends promptly with the load error verbatim and a non-zero exit when the handler cannot load', async () => {
    const input = inputFile('load.ndjson', [1, 2, 3]);
    const started = Date.now();
    const run = await runCli(['batch', '-i', input, '--', PYTHON, fixture('load-error.py')]);
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toContain('the handler failed to load: model file not found: /models/missing.pt');
    expect(run.lines).toHaveLength(0); // nothing ran, nothing written: --resume would run them all
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('times out hung tasks and keeps going', async () => {
    const input = inputFile('hang.ndjson', [1, 2]);
    const run = await runCli(['batch', '-i', input, '--timeout', '300ms', '--retries', '0', '--cancel-grace', '100ms', '--kill-grace', '200ms', '--', PYTHON, fixture('forever.py')]);
    expect(run.exitCode).toBe(1);
    expect(run.lines.map((l) => (l.error as { reason: string }).reason)).toEqual(['timeout', 'timeout']);
  });

  it('resumes from its own output: skips finished ids, reruns failed ones with --resume-failed', async () => {
    const input = inputFile('resume.ndjson', [{ id: 'a', payload: { succeed_on: 0 } }, { id: 'b', payload: { permanent: true } }]);
    const output = join(dir, 'resume-out.ndjson');
    const first = await runCli(['batch', '-i', input, '-o', output, '--', PYTHON, fixture('flaky.py')]);
    expect(first.exitCode).toBe(1);
    expect(readLines(output).map((l) => l.id).sort()).toEqual(['a', 'b']);

    const second = await runCli(['batch', '-i', input, '-o', output, '--resume', '--', PYTHON, fixture('flaky.py')]);
    expect(second.exitCode).toBe(0);
    expect(second.stderr).toContain('2 skipped');
    expect(readLines(output)).toHaveLength(2);

    const third = await runCli(['batch', '-i', input, '-o', output, '--resume-failed', '--', PYTHON, fixture('flaky.py')]);
    expect(third.stderr).toContain('1 skipped');
    expect(readLines(output).map((l) => l.id)).toEqual(['a', 'b', 'b']);
  });

  it('resume cuts a torn last line (a run killed mid-write) and reruns that task', async () => {
    const input = inputFile('torn.ndjson', [{ id: 'a', payload: 1 }, { id: 'b', payload: 2 }]);
    const output = join(dir, 'torn-out.ndjson');
    writeFileSync(output, '{"id":"a","result":{"echo":1}}\n{"id":"b","res');
    const run = await runCli(['batch', '-i', input, '-o', output, '--resume', '--', PYTHON, fixture('echo.py')]);
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toContain('removed a torn last line');
    expect(readLines(output).map((l) => l.id)).toEqual(['a', 'b']); // every line parses
  });

  it('enforces --grace after Ctrl-C: a stuck task does not keep the run alive', async () => {
    const { execa } = await import('execa');
    const { DROVER_BIN } = await import('../../helpers/cli.js');
    const child = execa(process.execPath, [DROVER_BIN, 'batch', '--grace', '300ms', '--kill-grace', '300ms', '--', PYTHON, fixture('forever.py')], { reject: false, input: '1\n' });
    await untilHandlerReady(child);
    await new Promise((r) => setTimeout(r, 300)); // the task is running
    const stoppedAt = Date.now();
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(130);
    expect(Date.now() - stoppedAt).toBeLessThan(5000);
  });

  it('--keep-order writes results in input order; without it, in completion order', async () => {
    const input = inputFile('order.ndjson', [{ sleep_ms: 400 }, { sleep_ms: 0 }, { sleep_ms: 150 }, 'not json', { sleep_ms: 0 }]);
    const env = { RECORD_FILE: join(dir, 'order-ran.log') };
    const args = ['-i', input, '-c', '3', '--', PYTHON, fixture('record.py')];
    const unordered = await runCli(['batch', ...args], { env });
    expect(unordered.lines.map((l) => l.id)).not.toEqual(['1', '2', '3', '4', '5']);
    const ordered = await runCli(['batch', '--keep-order', ...args], { env });
    expect(ordered.lines.map((l) => l.id)).toEqual(['1', '2', '3', '4', '5']);
    expect(ordered.lines[3]).toMatchObject({ error: { reason: 'invalid_input' } });
  });

  it('runs a one-shot shell handler, a process per task', async () => {
    const input = inputFile('oneshot.ndjson', [1, 2, 3]);
    const run = await runCli(['batch', '-i', input, '--mode', 'oneshot', '-c', '3', '--', '/bin/sh', fixture('oneshot.sh')]);
    expect(run.exitCode).toBe(0);
    expect(new Set(run.lines.map((l) => (l.result as { pid: number }).pid)).size).toBe(3);
  });

  it('accepts protocol-style {task_id, payload} lines as envelopes', async () => {
    const run = await runCli(['batch', '--', PYTHON, fixture('echo.py')], { input: '{"task_id":"t9","payload":{"k":1}}\n' });
    expect(run.lines).toEqual([expect.objectContaining({ id: 't9', result: expect.objectContaining({ echo: { k: 1 } }) })]);
  });

  it('names a missing input file instead of crashing', async () => {
    const run = await runCli(['batch', '-i', join(dir, 'missing.ndjson'), '--', PYTHON, fixture('echo.py')]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/cannot read --input .*missing\.ndjson: ENOENT/);
    expect(run.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
  });

  it.skipIf(!existsSync('/usr/bin/script'))('draws a progress bar with rate on a terminal, and none when piped', async () => {
    const input = inputFile('tty.ndjson', Array.from({ length: 40 }, (_, i) => i));
    const { execa } = await import('execa');
    const { DROVER_BIN } = await import('../../helpers/cli.js');
    const cmd = [process.execPath, DROVER_BIN, 'batch', '-i', input, '-o', join(dir, 'tty.out'), '--log-level', 'warn', '--', PYTHON, fixture('echo.py')];
    // util-linux `script` gives the command a pseudo-terminal, as a user's shell would.
    const tty = await execa('/usr/bin/script', ['-qec', cmd.map((a) => `'${a}'`).join(' '), '/dev/null'], { reject: false, stdin: 'ignore' });
    expect(String(tty.stdout)).toMatch(/\[=+>\] 40\/40 100% [\d.]+\/s/);
    const piped = await runCli(cmd.slice(2));
    expect(piped.stderr).not.toContain('40/40');
  });

  it('rejects a bad option with a message naming it', async () => {
    const run = await runCli(['batch', '--concurrency', 'zero', '--', 'true']);
    expect(run.exitCode).not.toBe(0);
    expect(run.stderr).toMatch(/--concurrency.*expected a whole number, got "zero"/s);
  });

  it('handlers die with the supervisor, even after kill -9', async () => {
    const { execa } = await import('execa');
    const { DROVER_BIN } = await import('../../helpers/cli.js');
    // forever.py ignores stdin EOF while a task hangs: only the parent-death signal can end it.
    const child = execa(process.execPath, [DROVER_BIN, 'batch', '-c', '2', '--', PYTHON, fixture('forever.py')], { reject: false, input: '1\n2\n', buffer: false });
    let log = '';
    child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    const pids = (): number[] => [...log.matchAll(/"handlerPid":(\d+)[^\n]*"handler ready"/g)].map((m) => Number(m[1]));
    const start = Date.now();
    while (pids().length < 2 && Date.now() - start < 10_000) await new Promise((r) => setTimeout(r, 20));
    expect(pids()).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 200)); // both are now stuck in a task
    child.kill('SIGKILL');
    await child;
    const deadline = Date.now() + 5000;
    while (pids().some(isAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(pids().filter(isAlive)).toEqual([]);
  });

  it('finishes in-flight tasks on SIGINT, writes them, and exits 130', async () => {
    const input = inputFile('sigint.ndjson', Array.from({ length: 20 }, (_, i) => i));
    const output = join(dir, 'sigint-out.ndjson');
    const { execa } = await import('execa');
    const { DROVER_BIN } = await import('../../helpers/cli.js');
    const child = execa(process.execPath, [DROVER_BIN, 'batch', '-i', input, '-o', output, '--', PYTHON, fixture('echo.py')], {
      reject: false,
      env: { DELAY_MS: '300' },
    });
    await untilHandlerReady(child);
    await new Promise((r) => setTimeout(r, 500)); // tasks are running
    child.kill('SIGINT');
    const result = await child;
    expect(result.exitCode).toBe(130);
    const written = readLines(output);
    expect(written.length).toBeGreaterThan(0);
    expect(written.length).toBeLessThan(20);
    expect(written.every((l) => 'result' in l)).toBe(true);
  });

  it('fills a handler up to the concurrency it declares as soon as it is ready', async () => {
    // Before ready the pool counts one slot per process; the reader must read on when the
    // handler then declares 4, not wait for the first task to finish.
    const run = await runCli(['batch', '--', PYTHON, fixture('inflight.py')], {
      input: [1, 2, 3, 4].map((n) => JSON.stringify({ n })).join('\n'),
      env: { CONCURRENCY: '4', DELAY_MS: '1500' },
    });
    expect(run.exitCode).toBe(0);
    const open = run.lines.map((l) => (l.result as { open_at_arrival: number }).open_at_arrival);
    expect(Math.max(...open)).toBe(4);
  });
});
