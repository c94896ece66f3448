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
