import { Command, CommanderError } from 'commander';
import { isDroverError } from '../errors.js';
import { VERSION } from '../version.js';
import { registerBatchCommand } from './batch-command.js';
import { registerRunCommand } from './run-command.js';

export function buildProgram(): Command {
  const program = new Command('drover')
    .description('Run any program as a queue worker: tasks in as JSON lines on stdin, results out on stdout.')
    .version(VERSION)
    .enablePositionalOptions()
    .showHelpAfterError();
  registerBatchCommand(program);
  registerRunCommand(program);
  return program;
}

/** CLI entry: runs a command and maps errors to exit codes (docs/errors.md). */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    if (isDroverError(error)) {
      process.stderr.write(`drover: ${error.message} [${error.code}]\n`);
      process.exitCode = error.exitCode;
      return;
    }
    throw error;
  }
}
