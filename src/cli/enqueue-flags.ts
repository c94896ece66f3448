/** The per-task option flags of `drover enqueue`, and their mapping to EnqueueOptions. */
import { type Command, InvalidArgumentError } from 'commander';
import { DroverError } from '../errors.js';
import { type EnqueueOptions, PRIORITY_MAX, PRIORITY_MIN } from '../queue/redis/options.js';
import { parseCount, parseDuration } from './parse-units.js';

export interface EnqueueFlags {
  priority?: number;
  delay?: number;
  runAt?: number;
  maxRetries?: number;
  taskTimeout?: number;
  idempotencyKey?: string;
  type?: string;
  resultTtl?: number;
}

export function addEnqueueFlags(command: Command): Command {
  return command
    .option('--priority <n>', `integer in [${PRIORITY_MIN}, ${PRIORITY_MAX}]; higher runs first, FIFO within a priority (default: 0)`, parsePriority)
    .option('--delay <duration>', 'run no earlier than this long from now, e.g. 30s, 5m (default: none)', parseDuration)
    .option('--run-at <time>', 'run no earlier than this ISO 8601 time, e.g. 2030-01-01T09:00:00Z (default: none)', parseIsoTime)
    .option('--max-retries <n>', 'retries after the first attempt (default: the queue default, else 3)', parseCount)
    .option('--task-timeout <duration>', 'per-attempt timeout enforced by the supervisor (default: the queue default, else none)', parseDuration)
    .option('--idempotency-key <key>', 'same key -> same task id while the task is kept (default: none)')
    .option('--type <name>', 'task type passed to the handler as "type" (default: none)')
    .option('--result-ttl <duration>', 'how long the result is kept after completion (default: the queue default, else 24h)', parseDuration);
}

function parsePriority(text: string): number {
  if (!/^\s*[-+]?\d+\s*$/.test(text)) throw new InvalidArgumentError(`expected an integer, got "${text}"`);
  const n = Number(text);
  if (n < PRIORITY_MIN || n > PRIORITY_MAX) {
    throw new InvalidArgumentError(`expected an integer in [${PRIORITY_MIN}, ${PRIORITY_MAX}], got "${text}"`);
  }
  return n;
}

/** An ISO 8601 date-time (a date alone means midnight UTC). Returns epoch ms. */
export function parseIsoTime(text: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}/.test(text.trim()) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) throw new InvalidArgumentError(`expected an ISO 8601 time such as 2030-01-01T09:00:00Z, got "${text}"`);
  return ms;
}

/** The options every task of this command gets (lines of --file may override them). */
export function toEnqueueOptions(flags: EnqueueFlags): EnqueueOptions {
  if (flags.delay !== undefined && flags.runAt !== undefined) {
    throw new DroverError('INVALID_OPTION', '--delay and --run-at both set when a task should run: give one of them');
  }
  const options: EnqueueOptions = {};
  if (flags.priority !== undefined) options.priority = flags.priority;
  if (flags.delay !== undefined) options.delayMs = flags.delay;
  if (flags.runAt !== undefined) options.runAt = flags.runAt;
  if (flags.maxRetries !== undefined) options.maxRetries = flags.maxRetries;
  if (flags.taskTimeout !== undefined) options.timeoutMs = flags.taskTimeout;
  if (flags.idempotencyKey !== undefined) options.idempotencyKey = flags.idempotencyKey;
  if (flags.type !== undefined) options.type = flags.type;
  if (flags.resultTtl !== undefined) options.resultTtlMs = flags.resultTtl;
  return options;
}
