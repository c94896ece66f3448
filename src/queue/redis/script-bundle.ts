/**
 * The script bundle: what a client in another language needs to run drover's Lua scripts
 * exactly as this backend does. Each script's fully assembled source (preamble with `C`, `Q`,
 * `CH`, `A` and every `--@include` inlined), its SHA-1 and its declared KEYS/CHANNELS order;
 * the key and channel name rules of keys.ts as templates; id, queue-name and option rules;
 * error codes and script status codes. Nothing in it is copied by hand on the other side.
 *
 * Regenerate the Python client's copy after changing a script, keys.ts, options.ts or errors.ts:
 *
 *   npx tsc -p tsconfig.json && node dist/src/queue/redis/script-bundle.js > sdk/python/drover/client/scripts.json
 *
 * test/unit/queue/script-bundle.test.ts rebuilds the bundle in memory and fails when the
 * checked-in file differs, and checks the hand-written rules below against the functions
 * that enforce them (normalizeEnqueueOptions, makeTaskId, isValidQueueName, newIdSuffix).
 */
import { pathToFileURL } from 'node:url';
import { DEFAULT_REDIS_URL } from '../../client/options.js';
import { DroverError, type DroverErrorCode } from '../../errors.js';
import { FAILURE_REASONS, type TaskState } from '../task.js';
import { DEFAULT_EVENTS_OPTIONS } from './task-events.js';
import { TERMINAL_STATES } from './task-info.js';
import { CHANNEL_NAMES, DEFAULT_PREFIX, KeySpace, QUEUE_KEY_NAMES, SUPERVISOR_KEY_NAMES } from './keys.js';
import { DEFAULT_BACKOFF, DEFAULT_ENQUEUE_OPTIONS, DEFAULT_MAX_PAYLOAD_BYTES, DEFAULT_QUEUE_DEFAULTS, PRIORITY_MAX, PRIORITY_MIN } from './options.js';
import { SCRIPT_STATUS_CODES } from './redis-errors.js';
import { LUA_CONSTANTS, SCRIPT_NAMES, scripts } from './scripts.js';

/** Bumped when the bundle's shape changes in a way readers must notice. */
export const SCRIPT_BUNDLE_VERSION = 1;

export const SCRIPT_BUNDLE_COMMAND =
  'npx tsc -p tsconfig.json && node dist/src/queue/redis/script-bundle.js > sdk/python/drover/client/scripts.json';

// Compile-time exhaustive lists of string unions (a missing or unknown member fails tsc).
type Exhaustive<Union, List extends readonly Union[]> = [Exclude<Union, List[number]>] extends [never] ? List : never;

const ERROR_CODES = [
  'INVALID_OPTION',
  'INVALID_INPUT',
  'PAYLOAD_TOO_LARGE',
  'PROTOCOL_ERROR',
  'LOAD_FAILED',
  'UNHEALTHY',
  'POOL_STOPPED',
  'TASK_NOT_FOUND',
  'TASK_FAILED',
  'WAIT_TIMEOUT',
  'CONNECTION_ERROR',
  'QUEUE_ERROR',
  'OUTPUT_ERROR',
] as const satisfies readonly DroverErrorCode[];
const ALL_ERROR_CODES: Exhaustive<DroverErrorCode, typeof ERROR_CODES> = ERROR_CODES;

const TASK_STATES = ['pending', 'scheduled', 'active', 'completed', 'failed', 'cancelled'] as const satisfies readonly TaskState[];
const ALL_TASK_STATES: Exhaustive<TaskState, typeof TASK_STATES> = TASK_STATES;

/**
 * Validation rules of normalizeEnqueueOptions, in the order it checks them. The limits are
 * literals in options.ts and keys.ts; script-bundle.test.ts probes both sides of every bound.
 */
export type OptionRule =
  | { name: string; kind: 'int'; min: number; max: number; default?: number }
  | { name: string; kind: 'string'; maxLength: number }
  | { name: string; kind: 'object' }
  | { name: string; kind: 'backoff' };

export const ENQUEUE_OPTION_RULES: readonly OptionRule[] = [
  { name: 'priority', kind: 'int', min: PRIORITY_MIN, max: PRIORITY_MAX, default: DEFAULT_ENQUEUE_OPTIONS.priority },
  { name: 'delayMs', kind: 'int', min: 0, max: Number.MAX_SAFE_INTEGER, default: DEFAULT_ENQUEUE_OPTIONS.delayMs },
  { name: 'runAt', kind: 'int', min: 0, max: Number.MAX_SAFE_INTEGER },
  { name: 'maxRetries', kind: 'int', min: 0, max: 1_000_000 },
  { name: 'backoff', kind: 'backoff' },
  { name: 'timeoutMs', kind: 'int', min: 0, max: Number.MAX_SAFE_INTEGER },
  { name: 'idempotencyKey', kind: 'string', maxLength: 512 },
  { name: 'resultTtlMs', kind: 'int', min: 1, max: Number.MAX_SAFE_INTEGER },
  { name: 'type', kind: 'string', maxLength: 256 },
  { name: 'id', kind: 'string', maxLength: 256 },
  { name: 'meta', kind: 'object' },
];

/**
 * Rules of keys.ts that are literals there. `suffixForbidden` spells out JavaScript's `\s`
 * so that the pattern means the same in JavaScript and Python `re`.
 */
export const ID_RULES = {
  separator: ':',
  queueName: '[A-Za-z0-9_.-]{1,128}',
  suffixTimeRadix: 36,
  suffixTimeDigits: 9,
  suffixRandomBytes: 8,
  suffixRandomDigits: 11,
  suffixMaxLength: 256,
  suffixForbidden:
    '[\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff\\u0000-\\u001f]',
} as const;

export const PREFIX_RULES = { maxLength: 128, forbidden: '[{}]' } as const;

/** The error JSON admin.ts records on a task cancelled before it ran (checked by the test). */
export const CANCELLED_BEFORE_RUN_ERROR = JSON.stringify({
  message: 'cancelled before it ran',
  type: 'Cancelled',
  reason: 'cancelled',
});

/** Environment variables read for the default Redis URL, first match wins (client/options.ts). */
export const REDIS_URL_ENV = ['DROVER_REDIS_URL', 'REDIS_URL'] as const;

// Sample names that cannot occur in a real prefix or in each other.
const SAMPLE_PREFIX = 'PREFIX~';
const SAMPLE_QUEUE = 'QUEUE';
const SAMPLE_ID = `${SAMPLE_QUEUE}:ID`;

/** `<prefix>` and `<queue>` placeholders in place of the sample names. */
function template(name: string): string {
  if (!name.startsWith(SAMPLE_PREFIX)) throw new Error(`key ${name} does not start with the prefix`);
  const rest = name.slice(SAMPLE_PREFIX.length).replace(`{${SAMPLE_QUEUE}}`, '{<queue>}');
  if (rest.includes(SAMPLE_QUEUE) || rest.includes(SAMPLE_PREFIX)) throw new Error(`ambiguous key template ${name}`);
  return `<prefix>${rest}`;
}

function keyRules(): Record<string, unknown> {
  const ks = new KeySpace(SAMPLE_PREFIX);
  const base = ks.queueBase(SAMPLE_QUEUE);
  const suffix = (full: string): string => {
    if (!full.startsWith(base)) throw new Error(`key ${full} is not under ${base}`);
    return full.slice(base.length);
  };
  const queueKeys = ks.queue(SAMPLE_QUEUE);
  const channels = ks.channels(SAMPLE_QUEUE);
  const supervisors = ks.supervisors();
  const task = ks.task(SAMPLE_ID);
  if (!task) throw new Error('sample task id rejected');
  // Each per-task key is a declared prefix key (or channel) followed by the id.
  const prefixes: Record<string, string> = { ...queueKeys, ...channels };
  const taskRule = (full: string): string => {
    const found = Object.entries(prefixes).find(([, value]) => value + SAMPLE_ID === full);
    if (!found) throw new Error(`task key ${full} is not <declared prefix><id>`);
    return found[0];
  };
  return {
    defaultPrefix: DEFAULT_PREFIX,
    queueBase: template(base),
    queue: Object.fromEntries(QUEUE_KEY_NAMES.map((n) => [n, suffix(queueKeys[n])])),
    channels: Object.fromEntries(CHANNEL_NAMES.map((n) => [n, suffix(channels[n])])),
    supervisors: Object.fromEntries(SUPERVISOR_KEY_NAMES.map((n) => [n, template(supervisors[n])])),
    task: { hash: taskRule(task.hash), events: taskRule(task.events), done: taskRule(task.done) },
    prefix: PREFIX_RULES,
  };
}

/** The whole bundle as a plain JSON-able object (stable key order). */
export function buildScriptBundle(): Record<string, unknown> {
  const all = scripts();
  return {
    '//': `Generated from TypeScript by src/queue/redis/script-bundle.ts; do not edit. Regenerate: ${SCRIPT_BUNDLE_COMMAND}`,
    version: SCRIPT_BUNDLE_VERSION,
    scripts: Object.fromEntries(
      SCRIPT_NAMES.map((name) => {
        const s = all[name];
        return [name, { keys: [...s.keys], channels: [...s.channels], sha1: s.sha, source: s.source }];
      }),
    ),
    luaConstants: { ...LUA_CONSTANTS },
    keys: keyRules(),
    ids: { ...ID_RULES },
    options: {
      enqueue: ENQUEUE_OPTION_RULES,
      priorityMin: PRIORITY_MIN,
      priorityMax: PRIORITY_MAX,
      maxSafeInteger: Number.MAX_SAFE_INTEGER,
      backoffDefault: { ...DEFAULT_BACKOFF },
      backoffTypes: ['exponential', 'fixed'],
      queueDefaults: { ...DEFAULT_QUEUE_DEFAULTS, backoff: { ...DEFAULT_QUEUE_DEFAULTS.backoff } },
      maxPayloadBytesDefault: DEFAULT_MAX_PAYLOAD_BYTES,
    },
    tasks: {
      states: ALL_TASK_STATES,
      terminalStates: [...TERMINAL_STATES],
      failureReasons: [...FAILURE_REASONS],
      cancelledBeforeRunError: CANCELLED_BEFORE_RUN_ERROR,
    },
    events: { ...DEFAULT_EVENTS_OPTIONS },
    errors: {
      codes: Object.fromEntries(ALL_ERROR_CODES.map((code) => [code, new DroverError(code, '').exitCode])),
      scriptStatus: { ...SCRIPT_STATUS_CODES },
    },
    client: { defaultRedisUrl: DEFAULT_REDIS_URL, urlEnv: [...REDIS_URL_ENV] },
  };
}

/** The bundle as written to sdk/python/drover/client/scripts.json. */
export function scriptBundleJson(): string {
  return `${JSON.stringify(buildScriptBundle(), null, 2)}\n`;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(scriptBundleJson());
}
