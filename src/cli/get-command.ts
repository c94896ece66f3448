import type { Command } from 'commander';
import { subscribeToTask } from '../client/subscription.js';
import { DroverError } from '../errors.js';
import { queueOfTaskId } from '../queue/redis/keys.js';
import type { TaskInfo } from '../queue/redis/task-info.js';
import { type FollowMode, createFollowPrinter } from './follow-output.js';
import { parseDuration } from './parse-units.js';
import { printJson, printText } from './print.js';
import { addRedisFlags, type RedisFlags, type RedisSession } from './redis-flags.js';
import { formatTaskBlock } from './task-block.js';
import { waitOutcomeError } from './wait-results.js';
import { withRedisSession } from './with-session.js';

interface GetFlags extends RedisFlags {
  json?: boolean;
  follow?: boolean;
  timeout?: number;
}

export function registerGetCommand(program: Command): void {
  const command = program
    .command('get')
    .description('show one task: state, attempts, result or error, progress, times; --follow streams its progress until it ends')
    .argument('<id>', 'task id, as printed by enqueue (<queue>:<suffix>)')
    .option('--json', 'print the task as one JSON document (the default when stdout is not a terminal); with --follow, one JSON object per update')
    .option('-f, --follow', 'stream progress and partial outputs (those reported so far first) until the task ends; exit 0 if it completed, 1 if it failed or was cancelled')
    .option('--timeout <duration>', 'with --follow only: stop following after this long and exit 5 (the task keeps running)', parseDuration)
    .addHelpText(
      'after',
      `
Examples:
  drover get resize:0mwxaxkli084d061b4c790e05
  drover get --follow "$id"                  # live progress bar on a terminal
  drover get --follow "$id" | tee job.log    # one plain line per update when piped
  drover get --follow --json "$id" | jq .    # one JSON object per update

Docs: docs/cli.md, docs/streaming.md`,
    );
  addRedisFlags(command).action(async (id: string, flags: GetFlags) => {
    if (flags.timeout !== undefined && flags.follow !== true) throw new DroverError('INVALID_OPTION', '--timeout goes with --follow');
    let interrupted = false;
    await withRedisSession(flags, async (session) => {
      if (flags.follow === true) {
        interrupted = await follow(session, id, flags);
        return;
      }
      const task = await session.backend.get(id);
      if (!task) {
        const why = queueOfTaskId(id) === null ? 'is not a drover task id (expected <queue>:<suffix>, as enqueue prints it)' : 'not found (unknown, deleted or expired)';
        throw new DroverError('TASK_NOT_FOUND', `task ${id} ${why}`);
      }
      if (flags.json === true || process.stdout.isTTY !== true) printJson(task);
      else printText(formatTaskBlock(task));
    });
    // Ctrl-C: exit status 130, as a shell reports SIGINT; the connections are closed by now.
    if (interrupted) process.exitCode = 130;
  });
}

function followMode(flags: GetFlags): FollowMode {
  if (flags.json === true) return 'json';
  return process.stdout.isTTY === true ? 'live' : 'plain';
}

/**
 * Prints every update until the final task; throws TASK_FAILED (exit 1) unless it completed.
 * Returns true when interrupted by Ctrl-C.
 */
async function follow({ backend }: RedisSession, id: string, flags: GetFlags): Promise<boolean> {
  const mode = followMode(flags);
  const printer = createFollowPrinter(mode);
  const stop = new AbortController();
  let interrupted = false;
  // Ctrl-C: stop following and leave the terminal on a fresh line (the caller exits 130).
  const onSigint = (): void => {
    interrupted = true;
    stop.abort();
  };
  process.once('SIGINT', onSigint);
  let final: TaskInfo | undefined;
  try {
    if (mode === 'live') {
      const now = await backend.get(id);
      if (now && now.progress === undefined) printer.status(`${id}: ${now.state}`);
    }
    const options = flags.timeout === undefined ? { signal: stop.signal } : { signal: stop.signal, timeout: flags.timeout };
    for await (const update of subscribeToTask(backend, id, options)) {
      printer.update(update);
      if (update.type === 'final') final = update.task;
    }
  } finally {
    process.off('SIGINT', onSigint);
    printer.end();
  }
  if (interrupted) return true;
  if (!final) throw new DroverError('QUEUE_ERROR', `following ${id} ended without the final task`);
  const error = waitOutcomeError({ completed: final.state === 'completed' ? 1 : 0, failed: final.state === 'completed' ? [] : [final], unfinished: [] }, 1, undefined);
  if (error) throw error;
  return false;
}
