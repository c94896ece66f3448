import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DROVER_BIN, runCli } from '../../helpers/cli.js';
import { PYTHON, ROOT, fixture, until } from '../../helpers/handlers.js';
import { canRun } from '../../helpers/os.js';
import { REDIS_URL, cleanupPrefix, connect, testPrefix } from '../../helpers/redis.js';
import { type RunningSupervisor, startSupervisor, stopAllSupervisors, whenReady } from '../../helpers/supervisor.js';

/** util-linux `script` gives the CLI a pseudo-terminal (for the live, redrawn output). */
const hasScript = canRun('script', ['--version']);

const hasTmux = canRun('tmux', ['-V']);

const dir = mkdtempSync(join(tmpdir(), 'drover-follow-'));
const redis = connect();
const prefix = testPrefix('follow');
let python: RunningSupervisor;
let node: RunningSupervisor;

const redisArgs = ['--redis', REDIS_URL, '--prefix', prefix];
const drover = (args: string[]) => runCli([...args, ...redisArgs]);

async function enqueue(queue: string, payload: unknown, extra: string[] = []): Promise<string> {
  const run = await drover(['enqueue', queue, JSON.stringify(payload), ...extra]);
  expect(run.exitCode, run.stderr).toBe(0);
  return run.stdout.trim();
}

/** `drover get --follow ...` as a running child whose stdout lines can be watched as they come. */
function followInBackground(args: string[]) {
  const child = execa(process.execPath, [DROVER_BIN, 'get', '--follow', ...args, ...redisArgs], { reject: false, cwd: ROOT, buffer: false, timeout: 60_000 });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  return {
    child,
    lines: () => stdout.split('\n').filter((l) => l !== ''),
    stderr: () => stderr,
  };
}

const TOKENS = ['Hel', 'lo', ' world'];
const PLAIN_SEQUENCE = [
  'progress  0%  token 1/3',
  'partial  "Hel"',
  'progress  33%  token 2/3',
  'partial  "lo"',
  'progress  66%  token 3/3',
  'partial  " world"',
  'progress  100%  done',
  'completed  {"text":"Hello world"}',
];

beforeAll(async () => {
  python = startSupervisor(prefix, ['-q', 'gen', '-c', '2'], [PYTHON, fixture('progress-tokens.py')]);
  node = startSupervisor(prefix, ['-q', 'gen-node'], [process.execPath, fixture('progress-tokens.mjs')]);
  await Promise.all([whenReady(python), whenReady(node)]);
}, 30_000);
afterEach(() => {
  expect(python.child.exitCode, python.log()).toBeNull();
});
afterAll(async () => {
  await stopAllSupervisors();
  await cleanupPrefix(redis, prefix);
  await redis.quit();
  rmSync(dir, { recursive: true, force: true });
});

describe('drover get --follow', () => {
  let gate: string;
  beforeEach(() => {
    gate = join(dir, `gate-${Math.random().toString(16).slice(2)}`);
  });

  it('piped: one plain line per progress and partial of a real handler, in order, then the result; exit 0', async () => {
    const id = await enqueue('gen', { tokens: TOKENS });
    const run = await drover(['get', '--follow', id]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout.split('\n').filter((l) => l !== '')).toEqual(PLAIN_SEQUENCE);
    expect(run.stdout).not.toContain('\x1b');
  });

  it('streams updates while the task runs (not only at the end), then ends with the final task', async () => {
    const id = await enqueue('gen', { tokens: TOKENS, gate });
    const f = followInBackground(['--json', id]);
    await until(() => f.lines().length >= 2, 15_000, () => `the first two updates, got ${JSON.stringify(f.lines())} ${f.stderr()}`);
    // The handler is parked on the gate: the follower printed these while the task was active.
    expect(f.child.exitCode).toBeNull();
    const during = await drover(['get', id, '--json']);
    expect(during.lines[0]).toMatchObject({ state: 'active', progress: { progress: 0, message: 'token 1/3' }, partial: 'Hel' });
    expect(f.lines().map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
      { type: 'progress', taskId: id, progress: 0, message: 'token 1/3' },
      { type: 'partial', taskId: id, data: 'Hel' },
    ]);
    writeFileSync(gate, '');
    const done = await f.child;
    expect(done.exitCode, f.stderr()).toBe(0);
    const items = f.lines().map((l) => JSON.parse(l) as { type: string; data?: unknown; progress?: number; task?: Record<string, unknown> });
    expect(items.map((i) => i.type)).toEqual(['progress', 'partial', 'progress', 'partial', 'progress', 'partial', 'progress', 'final']);
    expect(items.filter((i) => i.type === 'partial').map((i) => i.data)).toEqual(TOKENS);
    expect(items.at(-1)!.task).toMatchObject({ id, state: 'completed', result: { text: 'Hello world' }, progress: { progress: 1, message: 'done' } });
  });

  it('the Node SDK handler streams the same way', async () => {
    const id = await enqueue('gen-node', { tokens: TOKENS });
    const run = await drover(['get', '--follow', id]);
    expect(run.exitCode, `${run.stderr}\n${node.log()}`).toBe(0);
    expect(run.stdout.split('\n').filter((l) => l !== '')).toEqual(PLAIN_SEQUENCE);
  });

  it('a failed task: its updates, then the error; exit 1 with TASK_FAILED', async () => {
    const id = await enqueue('gen', { tokens: ['a'], fail: 'bad input' }, ['--max-retries', '0']);
    const run = await drover(['get', '--follow', id]);
    expect(run.exitCode).toBe(1);
    expect(run.stdout.split('\n').filter((l) => l !== '')).toEqual(['progress  0%  token 1/1', 'partial  "a"', 'failed  [error] ValueError: bad input']);
    expect(run.stderr).toContain(`drover: task ${id} failed: bad input (error) [TASK_FAILED]`);
  });

  it('a task cancelled while followed (here: before it ran) ends the follow with exit 1', async () => {
    const id = await enqueue('nobody-serves-this', 1);
    const f = followInBackground([id]);
    const cancel = await drover(['cancel', id]);
    expect(cancel.exitCode).toBe(0);
    const done = await f.child;
    expect(done.exitCode).toBe(1);
    expect(f.lines()).toEqual(['cancelled  [cancelled] Cancelled: cancelled before it ran']);
    expect(f.stderr()).toContain('[TASK_FAILED]');
  });

  it('--timeout: exit 5 (WAIT_TIMEOUT) while the task is still queued; it keeps its state', async () => {
    const id = await enqueue('nobody-serves-this', 2);
    const run = await drover(['get', '--follow', '--timeout', '300ms', id]);
    expect(run.exitCode).toBe(5);
    expect(run.stderr).toContain('[WAIT_TIMEOUT]');
    expect((await drover(['get', id])).lines[0]).toMatchObject({ state: 'pending' });
  });

  it('an unknown id exits 4; --timeout without --follow is a usage error (exit 2)', async () => {
    const unknown = await drover(['get', '--follow', 'gen:no-such-task']);
    expect(unknown.exitCode).toBe(4);
    expect(unknown.stderr).toContain('[TASK_NOT_FOUND]');
    const misuse = await drover(['get', '--timeout', '1s', 'gen:x']);
    expect(misuse.exitCode).toBe(2);
    expect(misuse.stderr).toContain('--timeout goes with --follow');
  });

  it.skipIf(!hasTmux)('Ctrl-C on a terminal stops following at once: exit 130, the task untouched', async () => {
    const id = await enqueue('nobody-serves-this', 3);
    const socket = `drover-follow-${Math.random().toString(16).slice(2)}`;
    const tmux = (...args: string[]): string => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
    const cmd = [process.execPath, DROVER_BIN, 'get', '--follow', id, ...redisArgs].join(' ');
    try {
      tmux('new-session', '-d', '-s', 'f', '-x', '100', '-y', '10', '-c', ROOT, `${cmd}; echo "[exit $?]"; sleep 60`);
      const screen = (): string => tmux('capture-pane', '-p', '-t', 'f');
      await until(() => screen().includes(`${id}: pending`), 15_000, () => `the status line; screen:\n${screen()}`, 50);
      tmux('send-keys', '-t', 'f', 'C-c');
      await until(() => screen().includes('[exit 130]'), 15_000, () => `exit 130; screen:\n${screen()}`, 50);
      expect((await drover(['get', id])).lines[0]).toMatchObject({ state: 'pending' });
    } finally {
      execFileSync('tmux', ['-L', socket, 'kill-server'], { stdio: 'ignore' });
    }
  });

  it.skipIf(!hasScript)('on a terminal: a progress bar redrawn in place, partials above it, the result last', async () => {
    const id = await enqueue('gen', { tokens: TOKENS });
    const cmd = [process.execPath, DROVER_BIN, 'get', '--follow', id, ...redisArgs].join(' ');
    const out = execFileSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', cwd: ROOT, env: { ...process.env, COLUMNS: '100' } });
    expect(out).toContain('\r\x1b[2K[                        ]   0%  token 1/3');
    expect(out).toContain('\r\x1b[2K[=======>                ]  33%  token 2/3');
    // What stays on screen once carriage returns and erased lines are applied:
    const screen = out
      .replace(/\r\n/g, '\n')
      .split('\n')
      .map((l) => l.split('\r\x1b[2K').at(-1)!.replace(/\r/g, ''))
      .filter((l) => l !== '');
    expect(screen).toEqual(['partial  "Hel"', 'partial  "lo"', 'partial  " world"', '[========================] 100%  done', 'completed  {"text":"Hello world"}']);
  });
});
