import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { PYTHON, ROOT, fixture, until } from '../../helpers/handlers.js';
import { startSupervisor } from '../../helpers/supervisor.js';
import { observedSuite } from './observed-run.js';

const suite = observedSuite('logs');

const PRETTY_LINE = /^\[\d\d:\d\d:\d\d\.\d{3}\] (TRACE|DEBUG|INFO|WARN|ERROR|FATAL): /;
const stripAnsi = (text: string): string => text.replace(/\x1b\[[0-9;]*m/g, '');

/**
 * Runs a script that logs 300 lines through the CLI logger and exits at once, with stderr
 * (and stdout) on a pseudo-terminal (Python's pty module), and returns what the terminal showed.
 */
async function logOnTerminal(format: 'auto' | 'json' | 'pretty'): Promise<string[]> {
  const script = join(suite.dir, `log-${format}.mjs`);
  writeFileSync(
    script,
    `import { createCliLogger } from ${JSON.stringify(`${ROOT}dist/src/cli/logger.js`)};
const format = process.argv[2] === 'auto' ? undefined : process.argv[2];
const logger = createCliLogger({ format });
for (let i = 0; i < 300; i += 1) logger.info({ i }, 'line ' + i);
process.exit(0); // nothing may be left unwritten
`,
  );
  const pty = 'import pty, sys; status = pty.spawn(sys.argv[1:]); sys.exit(status >> 8)';
  const r = await execa(PYTHON, ['-c', pty, process.execPath, script, format], { reject: false, timeout: 30_000, input: '' });
  expect(r.exitCode).toBe(0);
  return stripAnsi(r.stdout).split(/\r?\n/).filter(Boolean);
}

describe('drover run logs', () => {
  it('are JSON lines when stderr is not a terminal', async () => {
    const sup = startSupervisor(suite.prefix, ['-q', 'work'], [PYTHON, fixture('echo.py')]);
    await until(() => sup.log().includes('"handler ready"'), 15_000, () => `the handler to be ready:\n${sup.log()}`);
    expect(await sup.stop()).toBe(0);
    const lines = sup.log().split('\n').filter(Boolean);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ level: expect.any(Number), time: expect.any(Number), msg: expect.any(String) });
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(expect.arrayContaining(['supervisor started', 'handler ready', 'supervisor stopped']));
  });

  it('--log-format pretty gives human lines, handler stderr tagged with its process', async () => {
    const sup = startSupervisor(suite.prefix, ['-q', 'work', '--log-format', 'pretty', '--max-failed-starts', '1'], [PYTHON, fixture('load-error.py')]);
    await until(() => sup.log().includes('handler failed to start'), 15_000, () => `a failed start:\n${sup.log()}`);
    await sup.stop();
    const lines = sup.log().split('\n').filter(Boolean);
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines) expect(line).toMatch(PRETTY_LINE);
    expect(lines).toContainEqual(expect.stringMatching(/ INFO: supervisor started \{"queues":\["work"\],"leaseMs":30000,"prefetch":1\}$/));
    expect(lines).toContainEqual(expect.stringMatching(/ INFO: \[p1\] loading weights\.\.\.$/));
    expect(lines).toContainEqual(expect.stringMatching(/ ERROR: handler failed to start \{"failedStarts":1,"error":"model file not found: \/models\/missing\.pt"\}$/));
  });

  it('rejects an unknown --log-format', async () => {
    const sup = startSupervisor(suite.prefix, ['-q', 'work', '--log-format', 'xml'], [PYTHON, fixture('echo.py')]);
    expect((await sup.child).exitCode).toBe(2);
    expect(sup.log()).toContain(`option '--log-format <format>' argument 'xml' is invalid. expected "json" or "pretty", got "xml"`);
  });

  it('are pretty by default on a terminal, JSON when forced, and the last line before exit is never lost', async () => {
    const auto = await logOnTerminal('auto');
    expect(auto).toHaveLength(300);
    for (const line of auto) expect(line).toMatch(PRETTY_LINE);
    expect(auto.at(-1)).toMatch(/ INFO: line 299 \{"i":299\}$/);

    const json = await logOnTerminal('json');
    expect(json).toHaveLength(300);
    expect(JSON.parse(json.at(-1)!)).toMatchObject({ level: 30, i: 299, msg: 'line 299' });
  });
});
