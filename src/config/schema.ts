/**
 * Every key a config file may hold: where it may appear and how its value is parsed.
 * docs/config.md documents each one; test/integration/config checks the error messages.
 */
import {
  parseBooleanValue,
  parseCommandValue,
  parseDurationValue,
  parseEnvValue,
  parseCountOrAutoValue,
  parseIntegerValue,
  parseLogFormatValue,
  parseLogLevelValue,
  parseModeValue,
  parsePortValue,
  parsePrefixValue,
  parseRedisUrlValue,
  parseSentinelsValue,
  parseSizeValue,
  parseTextValue,
} from './values.js';

/**
 * `process`: top level only (one Redis session and one logger serve every handler).
 * `handler`: inside a handler only. `both`: a handler's value, else the top level's.
 */
export type KeyScope = 'process' | 'handler' | 'both';

export interface KeySpec {
  scope: KeyScope;
  /** The `drover run` flag that sets the same option, if any. */
  flag?: string;
  parse(value: unknown): unknown;
}

const duration = (minMs: number) => (v: unknown) => parseDurationValue(v, minMs);
const size = (minBytes: number) => (v: unknown) => parseSizeValue(v, minBytes);
const integer = (min: number) => (v: unknown) => parseIntegerValue(v, min);

export const CONFIG_KEYS = {
  redis: { scope: 'process', flag: '--redis', parse: parseRedisUrlValue },
  cluster: { scope: 'process', flag: '--cluster', parse: parseBooleanValue },
  sentinels: { scope: 'process', flag: '--sentinels', parse: parseSentinelsValue },
  sentinelName: { scope: 'process', flag: '--sentinel-name', parse: parseTextValue },
  prefix: { scope: 'process', flag: '--prefix', parse: parsePrefixValue },
  logLevel: { scope: 'process', flag: '--log-level', parse: parseLogLevelValue },
  logFormat: { scope: 'process', flag: '--log-format', parse: parseLogFormatValue },
  metricsPort: { scope: 'process', flag: '--metrics-port', parse: parsePortValue },
  metricsHost: { scope: 'process', flag: '--metrics-host', parse: parseTextValue },
  // `handlers` itself is walked by validate.ts; listed here so it is a known top-level key.
  handlers: { scope: 'process', parse: (v: unknown) => v },

  command: { scope: 'handler', flag: '-- COMMAND...', parse: parseCommandValue },
  // Elements are parsed one by one (validate.ts) so an error names queues[i].
  queues: { scope: 'handler', flag: '-q, --queue', parse: (v: unknown) => v },

  mode: { scope: 'both', flag: '--mode', parse: parseModeValue },
  concurrency: { scope: 'both', flag: '-c, --concurrency', parse: integer(1) },
  pipeline: { scope: 'both', flag: '--pipeline', parse: parseCountOrAutoValue },
  loadTimeout: { scope: 'both', flag: '--load-timeout', parse: duration(0) },
  maxTasksPerProcess: { scope: 'both', flag: '--max-tasks-per-process', parse: integer(0) },
  maxRss: { scope: 'both', flag: '--max-rss', parse: size(0) },
  maxLineBytes: { scope: 'both', flag: '--max-line-bytes', parse: size(1024) },
  cancelGrace: { scope: 'both', flag: '--cancel-grace', parse: duration(0) },
  killGrace: { scope: 'both', flag: '--kill-grace', parse: duration(0) },
  maxFailedStarts: { scope: 'both', flag: '--max-failed-starts', parse: integer(1) },
  lease: { scope: 'both', flag: '--lease', parse: duration(100) },
  prefetch: { scope: 'both', flag: '--prefetch', parse: integer(0) },
  grace: { scope: 'both', flag: '--grace', parse: duration(0) },
  recoverInterval: { scope: 'both', flag: '--recover-interval', parse: duration(100) },
  timeout: { scope: 'both', flag: '-t, --timeout', parse: duration(0) },
  // Entries are parsed one by one (validate.ts) so an error names env.NAME.
  env: { scope: 'both', parse: parseEnvValue },
  // Resolved against the config file's directory (validate.ts).
  cwd: { scope: 'both', parse: parseTextValue },
} as const satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof CONFIG_KEYS;

/** The options a handler inherits from the top level, in the order docs/config.md lists them. */
export const HANDLER_OPTION_KEYS = (Object.keys(CONFIG_KEYS) as ConfigKey[]).filter((k) => CONFIG_KEYS[k].scope === 'both') as (
  | 'mode'
  | 'concurrency'
  | 'pipeline'
  | 'loadTimeout'
  | 'maxTasksPerProcess'
  | 'maxRss'
  | 'maxLineBytes'
  | 'cancelGrace'
  | 'killGrace'
  | 'maxFailedStarts'
  | 'lease'
  | 'prefetch'
  | 'grace'
  | 'recoverInterval'
  | 'timeout'
  | 'env'
  | 'cwd'
)[];

export function keysAllowedAt(level: 'top' | 'handler'): ConfigKey[] {
  const scopes: KeyScope[] = level === 'top' ? ['process', 'both'] : ['handler', 'both'];
  return (Object.keys(CONFIG_KEYS) as ConfigKey[]).filter((k) => scopes.includes(CONFIG_KEYS[k].scope));
}

/** The config file looked for in the current directory when `drover run` gets no command. */
export const DEFAULT_CONFIG_FILE = 'drover.config.json';

/** Handler names appear in logs (and metric labels): the characters of a queue name. */
export const HANDLER_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
