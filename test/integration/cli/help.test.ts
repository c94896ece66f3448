import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { DROVER_BIN } from '../../helpers/cli.js';

// Help text is not NDJSON (runCli parses lines starting with '{'): run the CLI directly.
const help = (args: string[]) => execa(process.execPath, [DROVER_BIN, ...args], { reject: false });

const COMMANDS = ['batch', 'run', 'enqueue', 'get', 'cancel', 'stats', 'top', 'dead', 'defaults'];

describe('drover --help', () => {
  it('lists every command, with examples', async () => {
    const run = await help(['--help']);
    expect(run.exitCode).toBe(0);
    for (const command of COMMANDS) expect(run.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    expect(run.stdout).toContain('Examples:');
  });

  it.each(COMMANDS)('%s --help shows examples that use the command', async (command) => {
    const run = await help([command, '--help']);
    expect(run.exitCode).toBe(0);
    const examples = run.stdout.split('Examples:')[1] ?? '';
    expect(examples).toMatch(new RegExp(`^  drover ${command} `, 'm'));
  });
});
