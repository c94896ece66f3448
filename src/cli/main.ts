import { Command, CommanderError } from 'commander';
import { isDroverError } from '../errors.js';
import { VERSION } from '../version.js';
import { registerBatchCommand } from './batch-command.js';
import { registerCancelCommand } from './cancel-command.js';
import { registerDeadCommand } from './dead-command.js';
import { registerDefaultsCommand } from './defaults-command.js';
import { registerEnqueueCommand } from './enqueue-command.js';
import { registerGetCommand } from './get-command.js';
import { registerStatsCommand } from './stats-command.js';
import { registerTopCommand } from './top-command.js';
import { registerRunCommand } from './run-command.js';

export function buildProgram(): Command {
  const program = new Command('drover')
    .description('Run any program as a queue worker: tasks in as JSON lines on stdin, results out on stdout.')
    .version(VERSION)
    .enablePositionalOptions()
    .showHelpAfterError()
    .exitOverride(); // usage errors come back as CommanderError: mapped to exit 2 below
  registerBatchCommand(program);
  registerRunCommand(program);
  registerEnqueueCommand(program);
  registerGetCommand(program);
  registerCancelCommand(program);
  registerStatsCommand(program);
  registerTopCommand(program);
  registerDeadCommand(program);
  registerDefaultsCommand(program);
  program.addHelpText(
    'after',
    `
Examples:
  drover batch -c 2 -i inputs.ndjson -- python3 handler.py        # a file of tasks, no Redis
  drover run -q predict -c 4 -- python3 handler.py                 # serve a Redis queue
  drover run --config drover.config.json --metrics-port 9464        # several handlers, metrics
  drover enqueue predict '{"x":1}' --wait                           # enqueue and wait
  drover top                                                        # live queues and supervisors

drover <command> --help shows each command's options and examples. Docs: README.md, docs/.`,
  );
  return program;
}

/** CLI entry: runs a command and maps errors to exit codes (docs/errors.md). */
export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0; every usage error (bad flag value, unknown flag) exits 2.
      process.exitCode = error.exitCode === 0 ? 0 : 2;
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
