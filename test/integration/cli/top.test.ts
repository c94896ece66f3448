/**
 * `drover top` in a real terminal: tmux runs it in a detached session of a fixed size, the test
 * reads the screen with `tmux capture-pane` and types keys with `tmux send-keys`.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../../../src/client/client.js';
import { DROVER_BIN, runCli } from '../../helpers/cli.js';
import { PYTHON, ROOT, fixture, until } from '../../helpers/handlers.js';
import { canRun } from '../../helpers/os.js';
import { REDIS_URL, cleanupPrefix, connect, testPrefix } from '../../helpers/redis.js';
import { type RunningSupervisor, startSupervisor, stopAllSupervisors, whenReady } from '../../helpers/supervisor.js';

const hasTmux = canRun('tmux', ['-V']);
if (!hasTmux) console.warn('top.test.ts: SKIPPED: tmux is not installed (apt-get install -y tmux; test/run-all.sh installs it)');

/**
 * A private tmux server (its own socket), so the test never touches anyone's sessions; a new one
 * per test, since a server still exiting after kill-server refuses the next test's session.
 */
const newSocket = (): string => `drover-top-${randomBytes(4).toString('hex')}`;
let socket = newSocket();
const tmux = (...args: string[]): string => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });

const dir = mkdtempSync(join(tmpdir(), 'drover-top-'));
const redis = connect();
const prefix = testPrefix('top');
const redisArgs = ['--redis', REDIS_URL, '--prefix', prefix];
let client: Client;
let supervisor: RunningSupervisor;
let session = 0;

/** Starts `drover top ARGS` in a new session of width x height; when top exits the pane prints its exit status and stays. */
function startTop(args: string[], width = 120, height = 30): string {
  session += 1;
  const name = `top${session}`;
  const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const cmd = [process.execPath, DROVER_BIN, 'top', ...args, ...redisArgs].map(quote).join(' ');
  tmux('new-session', '-d', '-s', name, '-x', String(width), '-y', String(height), '-c', ROOT, `${cmd}; echo "[top exited: $?]"; sleep 120`);
  return name;
}

const screen = (name: string): string => tmux('capture-pane', '-p', '-t', name);
const paneFlag = (name: string, flag: string): string => tmux('display-message', '-p', '-t', name, `#{${flag}}`).trim();

/** The screen's row for a queue, split into cells: [queue, pending, scheduled, active, dead, done/s, failed/s, retried/s, supervisors]. */
function queueRow(text: string, queue: string): string[] | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${queue} `));
  return line?.trim().split(/\s+/);
}

async function untilScreen(name: string, check: (text: string) => boolean, what: string, timeoutMs = 15_000): Promise<string> {
  let text = '';
  await until(() => check((text = screen(name))), timeoutMs, () => `${what}; the screen was:\n${text}`, 50);
  return text;
}

beforeAll(async () => {
  if (!hasTmux) return;
  client = new Client({ redis: REDIS_URL, prefix });
  supervisor = startSupervisor(prefix, ['-q', 'work', '-q', 'spare', '-c', '2', '--prefetch', '0'], [PYTHON, fixture('progress-tokens.py')]);
  await whenReady(supervisor);
}, 30_000);
afterEach(() => {
  if (!hasTmux) return;
  try {
    execFileSync('tmux', ['-L', socket, 'kill-server'], { stdio: 'ignore' });
  } catch {
    // no session left
  }
  socket = newSocket();
});
afterAll(async () => {
  await stopAllSupervisors();
  await client?.close();
  await cleanupPrefix(redis, prefix);
  await redis.quit();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!hasTmux)('drover top in a terminal (tmux)', () => {
  it('shows the queues, depths that change as tasks complete, the rates and the supervisor; q restores the terminal', async () => {
    const gate = join(dir, 'gate-1');
    // Two tasks hold both handler slots until the gate file appears; three more wait behind them
    // (--prefetch 0: the supervisor claims no more than it runs).
    const ids = (await client.enqueueMany('work', Array.from({ length: 5 }, () => ({ payload: { tokens: ['x', 'y'], gate } })))).map((r) => r.id);
    const [sup] = await client.backend.listSupervisors();
    expect(sup).toBeDefined();

    const name = startTop(['--interval', '300ms']);
    let text = await untilScreen(name, (t) => queueRow(t, 'work')?.slice(1, 4).join(' ') === '3 0 2', 'work: 3 pending, 2 active');
    expect(paneFlag(name, 'alternate_on')).toBe('1');
    expect(paneFlag(name, 'cursor_flag')).toBe('0');
    expect(text).toContain(`drover top  ${prefix}  every 0.3s`);
    expect(text).toMatch(/^QUEUE\s+PENDING\s+SCHEDULED\s+ACTIVE\s+DEAD\s+DONE\/S\s+FAILED\/S\s+RETRIED\/S\s+SUPERVISORS$/m);
    expect(queueRow(text, 'spare')?.slice(1, 5)).toEqual(['0', '0', '0', '0']);
    expect(text).toContain('Supervisors alive: 1');
    // Process states come with the registration, renewed every 5 s.
    text = await untilScreen(name, (t) => t.includes('2 busy'), 'the supervisor line to show both processes busy');
    const supLine = text.split('\n').find((l) => l.startsWith(sup!.id))!;
    expect(supLine).toBeDefined();
    expect(supLine.split(/\s{2,}/)).toEqual([sup!.id, sup!.hostname, String(sup!.pid), 'work,spare', 'healthy', '2', '2', '2 busy', expect.stringMatching(/ago$/)]);

    writeFileSync(gate, '');
    // A frame whose interval saw completions shows a completion rate above zero...
    await untilScreen(name, (t) => Number(queueRow(t, 'work')?.[5]) > 0, 'a non-zero completion rate');
    // ...and once everything ran, the queue is empty.
    await untilScreen(name, (t) => queueRow(t, 'work')?.slice(1, 5).join(' ') === '0 0 0 0', 'work to drain');
    await Promise.all(ids.map((id) => client.wait(id, { timeout: 15_000 })));

    tmux('send-keys', '-t', name, 'q');
    text = await untilScreen(name, (t) => t.includes('[top exited: 0]'), 'top to exit after q');
    expect(paneFlag(name, 'alternate_on')).toBe('0');
    expect(paneFlag(name, 'cursor_flag')).toBe('1');
    expect(text).not.toContain('QUEUE'); // the frames stayed on the alternate screen
  });

  it('a failed task shows in DEAD; -q filters the queues; Ctrl-C quits and restores the terminal', async () => {
    const { id } = await client.enqueue('work', { tokens: ['z'], fail: 'broken' }, { maxRetries: 0 });
    await client.wait(id, { timeout: 15_000 });
    const name = startTop(['-q', 'work', '--interval', '300ms']);
    const text = await untilScreen(name, (t) => queueRow(t, 'work')?.[4] === '1', 'one dead task in work');
    expect(queueRow(text, 'spare')).toBeUndefined();
    tmux('send-keys', '-t', name, 'C-c');
    await untilScreen(name, (t) => t.includes('[top exited: 0]'), 'top to exit after Ctrl-C');
    expect(paneFlag(name, 'alternate_on')).toBe('0');
  });

  it('a narrower terminal: columns are dropped to fit, redrawn on resize', async () => {
    const name = startTop(['--interval', '300ms'], 120, 30);
    await untilScreen(name, (t) => t.includes('RETRIED/S'), 'the wide frame');
    tmux('resize-window', '-t', name, '-x', '44', '-y', '30');
    const text = await untilScreen(name, (t) => /^QUEUE/m.test(t) && !t.includes('RETRIED/S'), 'the narrow frame');
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(44);
    expect(text).toMatch(/^QUEUE\s+PENDING\s+ACTIVE\s+DEAD\s+DONE\/S$/m);
    expect(queueRow(text, 'work')).toBeDefined();
    tmux('send-keys', '-t', name, 'q');
    await untilScreen(name, (t) => t.includes('[top exited: 0]'), 'top to exit');
  });
});

describe('drover top --once and bad flags (no terminal needed)', () => {
  it('--once prints one plain frame and exits 0; an interval under 100ms is a usage error', async () => {
    const run = await runCli(['top', '--once', '-q', 'work', ...redisArgs]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).not.toContain('\x1b');
    expect(run.stdout).toContain('rates per second over the last minute');
    expect(run.stdout).toMatch(/^work\s+\d+/m);
    const bad = await runCli(['top', '--interval', '10ms', ...redisArgs]);
    expect(bad.exitCode, bad.stderr).toBe(2);
    expect(bad.stderr).toContain('at least 100ms');
  });

  it('piped without --once: plain frames one after another until SIGTERM, then exit 0', async () => {
    const child = execa(process.execPath, [DROVER_BIN, 'top', '-q', 'work', '--interval', '200ms', ...redisArgs], { reject: false, cwd: ROOT, buffer: false, timeout: 60_000 });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString('utf8')));
    await until(() => (out.match(/^drover top /gm) ?? []).length >= 2, 15_000, () => `two frames, got:\n${out}`);
    child.kill('SIGTERM');
    const done = await child;
    expect(done.exitCode).toBe(0);
    expect(out).not.toContain('\x1b');
    const frames = out.split(/\n\n(?=drover top )/);
    expect(frames.length).toBeGreaterThanOrEqual(2);
    // From the second frame on, the rates are measured between two readings.
    expect(frames[1]).toMatch(/rates per second over the last \d/);
  });
});
