import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_QUEUE_DEFAULTS, type QueueDefaults } from '../queue/redis/options.js';
import { formatTable } from './table.js';
import { parseCount, parseDuration } from './parse-units.js';
import { printJson, printText } from './print.js';
import { addRedisFlags, type RedisFlags } from './redis-flags.js';
import { withRedisSession } from './with-session.js';

interface DefaultsFlags extends RedisFlags {
  maxRetries?: number;
  taskTimeout?: number;
  backoff?: 'exponential' | 'fixed';
  backoffBase?: number;
  backoffMax?: number;
  jitter?: boolean;
  resultTtl?: number;
  failedTtl?: number;
  keepCompleted?: number;
  keepFailed?: number;
  json?: boolean;
}

export function registerDefaultsCommand(program: Command): void {
  const command = program
    .command('defaults')
    .description("show or set a queue's defaults (apply to tasks enqueued afterwards without their own option)")
    .addHelpText(
      'after',
      `
Examples:
  drover defaults predict                                  # show the effective defaults
  drover defaults predict --max-retries 5 --task-timeout 2m
  drover defaults predict --backoff fixed --backoff-base 10s --no-jitter
  drover defaults thumbnails --keep-completed 100 --result-ttl 1h

Docs: docs/cli.md, docs/redis-layout.md (retention)`,
    )
    .argument('<queue>', 'queue name')
    .option('--max-retries <n>', 'retries after the first attempt', parseCount)
    .option('--task-timeout <duration>', 'per-attempt timeout; 0 = none', parseDuration)
    .option('--backoff <type>', 'exponential or fixed', parseBackoffType)
    .option('--backoff-base <duration>', 'first (exponential) or every (fixed) retry delay', parseDuration)
    .option('--backoff-max <duration>', 'upper bound of one retry delay', parseDuration)
    .option('--no-jitter', 'exact delays instead of full jitter')
    .option('--result-ttl <duration>', 'how long completed and cancelled tasks are kept', parseDuration)
    .option('--failed-ttl <duration>', 'how long failed (dead) tasks are kept', parseDuration)
    .option('--keep-completed <n>', 'at most this many completed tasks kept', parseCount)
    .option('--keep-failed <n>', 'at most this many failed tasks kept', parseCount)
    .option('--json', 'print the effective defaults as JSON');
  addRedisFlags(command).action(async (queue: string, flags: DefaultsFlags) => {
    await withRedisSession(flags, async ({ backend }) => {
      const changes = toQueueDefaults(flags);
      if (Object.keys(changes).length > 0) await backend.setQueueDefaults(queue, changes);
      const stored = await backend.getQueueDefaults(queue);
      const effective = { ...DEFAULT_QUEUE_DEFAULTS, ...stored, backoff: { ...DEFAULT_QUEUE_DEFAULTS.backoff, ...stored.backoff } };
      if (flags.json === true) {
        printJson({ queue, defaults: effective, stored });
        return;
      }
      const rows = Object.entries(effective).map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : String(v), k in stored ? 'queue' : 'built-in']);
      printText(formatTable(['OPTION', 'VALUE', 'FROM'], rows));
    });
  });
}

function parseBackoffType(text: string): 'exponential' | 'fixed' {
  if (text === 'exponential' || text === 'fixed') return text;
  throw new InvalidArgumentError(`expected exponential or fixed, got "${text}"`);
}

/** Only the flags given: the rest of the stored defaults stay as they are. */
function toQueueDefaults(flags: DefaultsFlags): QueueDefaults {
  const d: QueueDefaults = {};
  if (flags.maxRetries !== undefined) d.maxRetries = flags.maxRetries;
  if (flags.taskTimeout !== undefined) d.timeoutMs = flags.taskTimeout;
  if (flags.resultTtl !== undefined) d.resultTtlMs = flags.resultTtl;
  if (flags.failedTtl !== undefined) d.failedTtlMs = flags.failedTtl;
  if (flags.keepCompleted !== undefined) d.keepCompleted = flags.keepCompleted;
  if (flags.keepFailed !== undefined) d.keepFailed = flags.keepFailed;
  const backoff = {
    ...(flags.backoff !== undefined ? { type: flags.backoff } : {}),
    ...(flags.backoffBase !== undefined ? { baseMs: flags.backoffBase } : {}),
    ...(flags.backoffMax !== undefined ? { maxMs: flags.backoffMax } : {}),
    ...(flags.jitter === false ? { jitter: false } : {}),
  };
  if (Object.keys(backoff).length > 0) d.backoff = backoff;
  return d;
}
