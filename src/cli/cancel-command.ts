import type { Command } from 'commander';
import { DroverError } from '../errors.js';
import type { TaskState } from '../queue/task.js';
import { printJson, printText } from './print.js';
import { addRedisFlags, type RedisFlags } from './redis-flags.js';
import { withRedisSession } from './with-session.js';

interface CancelFlags extends RedisFlags {
  json?: boolean;
}

const EXPLAIN: Partial<Record<TaskState, string>> = {
  cancelled: 'cancelled',
  active: 'active: cancel requested, the supervisor running it stops it (it ends cancelled, or finishes first)',
  completed: 'already completed: nothing to cancel',
  failed: 'already failed: nothing to cancel',
};

export function registerCancelCommand(program: Command): void {
  const command = program
    .command('cancel')
    .description('cancel a task: pending or scheduled ones at once, active ones cooperatively')
    .addHelpText(
      'after',
      `
Examples:
  drover cancel predict:0mwxaxkli084d061b4c790e05
  id=$(drover enqueue predict '{"x":1}') && drover cancel "$id" --json

An active task gets a cancel message; a handler that does not stop within the cancel grace
is killed. The task ends in state cancelled either way. Docs: docs/cli.md`,
    )
    .argument('<id>', 'task id (<queue>:<suffix>)')
    .option('--json', 'print {"id","state","cancelRequested"}');
  addRedisFlags(command).action(async (id: string, flags: CancelFlags) => {
    await withRedisSession(flags, async ({ backend }) => {
      const res = await backend.cancel(id);
      if (!res) throw new DroverError('TASK_NOT_FOUND', `task ${id} not found (unknown, deleted or expired)`);
      if (flags.json === true) printJson({ id, state: res.state, cancelRequested: res.state === 'active' });
      else printText(`${id} ${EXPLAIN[res.state] ?? res.state}`);
    });
  });
}
