import { InvalidArgumentError, type Command } from 'commander';
import type { Logger } from 'pino';
import type { PoolOptions } from '../process/pool-options.js';
import type { ProcessMode } from '../process/handler-process.js';
import { parseCount, parseCountOrAuto, parseDuration, parsePositive, parseSize } from './parse-units.js';

/** Flags shared by `drover batch` and `drover run`: how handler processes are run. */
export interface PoolFlags {
  concurrency: number;
  mode: ProcessMode;
  pipeline?: number | 'auto';
  loadTimeout?: number;
  maxTasksPerProcess?: number;
  maxRss?: number;
  maxLineBytes?: number;
  cancelGrace?: number;
  killGrace?: number;
  maxFailedStarts?: number;
}

export function addPoolFlags(command: Command): Command {
  return command
    .option('-c, --concurrency <n>', 'handler processes (long-lived) or processes at once (one-shot)', parsePositive, 1)
    .option('--mode <mode>', 'long (load once, serve many) or oneshot (a process per task)', parseMode, 'long')
    .option('--pipeline <n|auto>', 'long-lived: tasks written ahead into each handler beyond its concurrency, so it never waits between tasks; auto = up to 32 while its tasks take under 2 ms (handlers of concurrency 1), 0 = off (default: auto)', parseCountOrAuto)
    .option('--load-timeout <duration>', 'fail a start that is not ready after this long (default: none)', parseDuration)
    .option('--max-tasks-per-process <n>', 'recycle a process after n tasks (default: never)', parseCount)
    .option('--max-rss <size>', 'recycle a process whose memory (with its children) exceeds this, e.g. 4G', parseSize)
    .option('--max-line-bytes <size>', 'maximum size of one protocol line (default: 64MiB)', parseSize)
    .option('--cancel-grace <duration>', 'time to answer a cancel before SIGTERM (default: 5s)', parseDuration)
    .option('--kill-grace <duration>', 'time between SIGTERM and SIGKILL (default: 5s)', parseDuration)
    .option('--max-failed-starts <n>', 'consecutive failed starts before reporting unhealthy (default: 3)', parsePositive);
}

function parseMode(text: string): ProcessMode {
  if (text === 'long' || text === 'oneshot') return text;
  if (text === 'one-shot') return 'oneshot';
  throw new InvalidArgumentError(`--mode must be "long" or "oneshot", got "${text}"`);
}

export function toPoolOptions(flags: PoolFlags, argv: string[], logger: Logger): PoolOptions {
  const [command, ...args] = argv;
  return {
    command: { command: command ?? '', args },
    mode: flags.mode,
    concurrency: flags.concurrency,
    pipeline: flags.pipeline,
    loadTimeoutMs: flags.loadTimeout,
    maxTasksPerProcess: flags.maxTasksPerProcess,
    maxRssBytes: flags.maxRss,
    maxLineBytes: flags.maxLineBytes,
    cancelGraceMs: flags.cancelGrace,
    killGraceMs: flags.killGrace,
    maxFailedStarts: flags.maxFailedStarts,
    logger,
  };
}
