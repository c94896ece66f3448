import { type Command, InvalidArgumentError } from 'commander';
import { DroverError } from '../errors.js';
import type { RedisBackend } from '../queue/redis/backend.js';
import { assertQueueName } from '../queue/redis/keys.js';
import type { TaskInfo } from '../queue/redis/task-info.js';
import { canPrompt, confirm } from './confirm.js';
import { formatAgo, truncate } from './format-values.js';
import { parseCount } from './parse-units.js';
import { printJson, printNotice, printText } from './print.js';
import { addRedisFlags, type RedisFlags } from './redis-flags.js';
import { formatTable } from './table.js';
import { withRedisSession } from './with-session.js';

interface ListFlags extends RedisFlags {
  limit: number;
  offset: number;
  json?: boolean;
}

interface RetryFlags extends RedisFlags {
  json?: boolean;
}

interface PurgeFlags extends RedisFlags {
  yes?: boolean;
  json?: boolean;
}

/** listDead returns at most this many per call. */
const MAX_LIMIT = 1000;

function parseLimit(text: string): number {
  const n = parseCount(text);
  if (n < 1 || n > MAX_LIMIT) throw new InvalidArgumentError(`expected a number in [1, ${MAX_LIMIT}], got "${text}"`);
  return n;
}

export function registerDeadCommand(program: Command): void {
  const dead = program
    .command('dead')
    .description('inspect, retry or delete failed (dead) tasks of a queue')
    .addHelpText(
      'after',
      `
Examples:
  drover dead list predict --limit 20       # newest first: id, attempts, reason, error
  drover dead retry predict                 # every dead task back to pending, fresh retries
  drover dead retry predict predict:0mx1… predict:0mx2…
  drover dead purge predict --yes

Docs: docs/cli.md, docs/guarantees.md`,
    );
  addRedisFlags(
    dead
      .command('list')
      .description('list dead tasks, most recently failed first')
      .argument('<queue>', 'queue name')
      .option('--limit <n>', `at most this many tasks, 1-${MAX_LIMIT}`, parseLimit, 100)
      .option('--offset <n>', 'skip this many (most recent first)', parseCount, 0)
      .option('--json', 'print one task per line (NDJSON), as `drover get --json` does'),
  ).action((queue: string, flags: ListFlags) => inQueue(queue, flags, (backend) => listMain(backend, queue, flags)));
  addRedisFlags(
    dead
      .command('retry')
      .description('move dead tasks back to pending with a fresh retry budget (all of them when no id is given)')
      .argument('<queue>', 'queue name')
      .argument('[ids...]', 'task ids to retry (default: every dead task of the queue)')
      .option('--json', 'print {"queue","retried"}'),
  ).action((queue: string, ids: string[], flags: RetryFlags) => inQueue(queue, flags, (backend) => retryMain(backend, queue, ids, flags)));
  addRedisFlags(
    dead
      .command('purge')
      .description('delete every dead task of the queue (asks on a terminal, needs --yes otherwise)')
      .argument('<queue>', 'queue name')
      .option('-y, --yes', 'do not ask for confirmation')
      .option('--json', 'print {"queue","purged"}'),
  ).action((queue: string, flags: PurgeFlags) => inQueue(queue, flags, (backend) => purgeMain(backend, queue, flags)));
}

async function inQueue(queue: string, flags: RedisFlags, body: (backend: RedisBackend) => Promise<void>): Promise<void> {
  assertQueueName(queue);
  await withRedisSession(flags, ({ backend }) => body(backend));
}

async function listMain(backend: RedisBackend, queue: string, flags: ListFlags): Promise<void> {
  const tasks = await backend.listDead(queue, { offset: flags.offset, limit: flags.limit });
  if (flags.json === true) {
    for (const task of tasks) printJson(task);
    return;
  }
  const total = (await backend.stats(queue)).counts.failed;
  const now = Date.now();
  printText(formatTable(['ID', 'FAILED', 'ATTEMPTS', 'REASON', 'ERROR'], tasks.map((t) => deadRow(t, now))));
  if (tasks.length === 0) {
    printText(total === 0 ? `no dead tasks in ${queue}` : `no dead tasks at offset ${flags.offset} (${total} in ${queue})`);
    return;
  }
  // Offsets index the dead set, whose expired entries listDead skips: the next page starts at offset + limit.
  const next = flags.offset + flags.limit;
  const more = next < total ? `; next page: --offset ${next}` : '';
  printText(`${flags.offset + 1}-${flags.offset + tasks.length} of ${total} dead tasks in ${queue}${more}`);
}

function deadRow(task: TaskInfo, now: number): (string | number)[] {
  const e = task.error;
  const message = e ? `${e.type ? `${e.type}: ` : ''}${e.message}` : '';
  return [task.id, task.finishedAt === undefined ? '-' : formatAgo(task.finishedAt, now), task.attempts, e?.reason ?? '-', truncate(message, 72)];
}

async function retryMain(backend: RedisBackend, queue: string, ids: string[], flags: RetryFlags): Promise<void> {
  const before = ids.length === 0 ? [] : await Promise.all(ids.map(async (id) => ({ id, task: await backend.get(id) })));
  const retried = await backend.retryDead(queue, ids.length === 0 ? undefined : ids);
  if (flags.json === true) printJson({ queue, retried });
  else printText(`retried ${retried} dead task(s) of ${queue}: back to pending`);
  const notDead = before.filter(({ task }) => task?.state !== 'failed' || task.queue !== queue);
  if (notDead.length > 0) {
    const list = notDead.map(({ id, task }) => `${id} (${task ? `${task.state} in ${task.queue}` : 'not found'})`).join(', ');
    throw new DroverError('TASK_NOT_FOUND', `not in the dead set of ${queue}, left alone: ${list}`);
  }
}

async function purgeMain(backend: RedisBackend, queue: string, flags: PurgeFlags): Promise<void> {
  if (flags.yes !== true) {
    const count = (await backend.stats(queue)).counts.failed;
    if (count > 0) {
      if (!canPrompt()) {
        throw new DroverError('INVALID_OPTION', `dead purge deletes all ${count} dead task(s) of ${queue} for good: add --yes`);
      }
      if (!(await confirm(`Delete all ${count} dead task(s) of ${queue}, with their errors and payloads?`))) {
        printNotice('drover dead purge: nothing deleted');
        process.exitCode = 1;
        return;
      }
    }
  }
  const purged = await backend.purgeDead(queue);
  if (flags.json === true) printJson({ queue, purged });
  else printText(`purged ${purged} dead task(s) of ${queue}`);
}
