/** `drover run`'s own flags, and which of them the user actually typed (they override a config file). */
import type { Command } from 'commander';
import { parseLogLevelValue } from '../../config/values.js';
import { flagParser } from '../flag-parser.js';
import type { RunRequest } from '../../config/merge.js';
import { parseQueueSpec, type QueueSpec } from '../../supervisor/queue-selector.js';
import { parseCount, parseDuration } from '../parse-units.js';
import type { PoolFlags } from '../pool-flags.js';
import type { RedisFlags } from '../redis-flags.js';

export interface RunFlags extends PoolFlags, RedisFlags {
  config?: string;
  queue?: QueueSpec[];
  lease?: number;
  prefetch?: number;
  grace?: number;
  recoverInterval?: number;
  timeout?: number;
  logLevel: string;
}

function collectQueue(value: string, previous: QueueSpec[] = []): QueueSpec[] {
  return [...previous, parseQueueSpec(value)];
}

export function addRunFlags(command: Command): Command {
  return command
    .option('--config <file>', 'serve the handlers of this config file (docs/config.md); default: ./drover.config.json when no command follows --')
    .option('-q, --queue <name[:weight]>', 'queue to serve; repeat for several: listed order is priority, or give weights (default: "default")', collectQueue)
    .option('--lease <duration>', 'task lease, renewed while the task runs (default: 30s)', parseDuration)
    .option('--prefetch <n>', 'claimed tasks buffered per handler slot (default: 1)', parseCount)
    .option('--grace <duration>', 'on SIGTERM/SIGINT, time for in-flight tasks to finish (default: 30s)', parseDuration)
    .option('--recover-interval <duration>', 'how often to look for expired leases (default: 5s)', parseDuration)
    .option('-t, --timeout <duration>', 'per-attempt timeout for tasks enqueued without one (default: none)', parseDuration)
    .option('--log-level <level>', 'trace, debug, info, warn, error', flagParser(parseLogLevelValue), 'info');
}

/**
 * The flags typed on the command line, without commander's defaults (`-c 1`, `--mode long`,
 * `--log-level info`): only those override a config file.
 */
export function typedFlags(command: Command, flags: RunFlags): RunRequest['flags'] {
  const typed: Record<string, unknown> = {};
  for (const option of command.options) {
    const key = option.attributeName();
    const source = command.getOptionValueSource(key);
    if (source === 'cli' || source === 'env') typed[key] = (flags as unknown as Record<string, unknown>)[key];
  }
  delete typed.config;
  return typed as RunRequest['flags'];
}
