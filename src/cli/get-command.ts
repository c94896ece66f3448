import type { Command } from 'commander';
import { DroverError } from '../errors.js';
import { printJson, printText } from './print.js';
import { addRedisFlags, type RedisFlags } from './redis-flags.js';
import { formatTaskBlock } from './task-block.js';
import { withRedisSession } from './with-session.js';

interface GetFlags extends RedisFlags {
  json?: boolean;
}

export function registerGetCommand(program: Command): void {
  const command = program
    .command('get')
    .description('show one task: state, attempts, result or error, progress, times')
    .argument('<id>', 'task id, as printed by enqueue (<queue>:<suffix>)')
    .option('--json', 'print the task as one JSON document (the default when stdout is not a terminal)');
  addRedisFlags(command).action(async (id: string, flags: GetFlags) => {
    await withRedisSession(flags, async ({ backend }) => {
      const task = await backend.get(id);
      if (!task) throw new DroverError('TASK_NOT_FOUND', `task ${id} not found (unknown, deleted or expired)`);
      if (flags.json === true || process.stdout.isTTY !== true) printJson(task);
      else printText(formatTaskBlock(task));
    });
  });
}
