/**
 * What one `drover run` process serves, from its flags and an optional config file.
 *
 * Which config: `--config FILE`; else, only when no handler command follows `--`,
 * `drover.config.json` in the current directory. A command after `--` without `--config`
 * never reads a config file.
 *
 * Each option of each handler, first found wins:
 *   1. the flag, when given on the command line (with several handlers it applies to all);
 *   2. the handler's own key (`handlers.NAME.KEY`);
 *   3. the top-level key;
 *   4. the built-in default (docs/run.md, docs/config.md).
 * Process settings (redis, cluster, sentinels, sentinelName, prefix, logLevel, logFormat,
 * metricsPort, metricsHost): the flag, else the
 * top-level key, else the default (for redis: $DROVER_REDIS_URL, $REDIS_URL, 127.0.0.1:6379).
 * `env` maps merge key by key (a handler's entries win); `-q` replaces a handler's `queues` and
 * is refused with several handlers (a queue belongs to one handler).
 */
import { DroverError } from '../errors.js';
import type { HandlerCommand } from '../process/spawn-handler.js';
import type { QueueSpec } from '../supervisor/queue-selector.js';
import { findDefaultConfig, loadConfig } from './load.js';
import { DEFAULT_CONFIG_FILE, HANDLER_OPTION_KEYS } from './schema.js';
import type { HandlerConfig, HandlerOptions, LoadedConfig, ProcessConfig } from './types.js';

/** Handler options as run uses them: `env` and `cwd` have moved into `command`. */
export type ServiceOptions = Omit<HandlerOptions, 'env' | 'cwd'>;

/** One handler to serve: a pool of `command` processes fed from `queues` by one supervisor. */
export interface ServicePlan {
  name: string;
  command: HandlerCommand;
  queues: QueueSpec[];
  options: ServiceOptions;
}

export interface RunPlan {
  process: ProcessConfig & { logLevel: string };
  services: ServicePlan[];
  /** The config file used, if any. */
  config?: LoadedConfig;
}

export interface RunRequest {
  /** The handler command after `--` (may be empty). */
  argv: string[];
  /** `--config FILE`. */
  configPath?: string;
  /** Where `drover.config.json` is looked for and a relative `--config` resolves. */
  cwd: string;
  /** Only the options typed on the command line (commander's defaults left out). */
  flags: ServiceOptions & ProcessConfig & { queue?: QueueSpec[] };
}

/** The name of the one handler of a `drover run ... -- COMMAND` process. */
export const FLAG_SERVICE_NAME = 'default';

/** Options commander would default: the lowest layer, under the config. */
const BUILT_IN: ServiceOptions = { mode: 'long', concurrency: 1 };
const DEFAULT_LOG_LEVEL = 'info';

const invalid = (message: string): DroverError => new DroverError('INVALID_OPTION', message);

function pickDefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Layers for one handler, lowest first; `env` merges, every other key is replaced. */
function resolveOptions(layers: HandlerOptions[]): HandlerOptions {
  const out: HandlerOptions = {};
  for (const layer of layers) {
    for (const key of HANDLER_OPTION_KEYS) {
      const value = layer[key];
      if (value === undefined) continue;
      if (key === 'env') out.env = { ...out.env, ...(value as Record<string, string>) };
      else (out as Record<string, unknown>)[key] = value;
    }
  }
  return out;
}

function toService(name: string, argv: string[], queues: QueueSpec[], options: HandlerOptions): ServicePlan {
  const { env, cwd, ...rest } = options;
  const [program = '', ...args] = argv;
  const command: HandlerCommand = { command: program, args };
  if (env) command.env = env;
  if (cwd) command.cwd = cwd;
  return { name, command, queues, options: rest };
}

function processSettings(flags: RunRequest['flags'], config?: ProcessConfig): RunPlan['process'] {
  const pick = <K extends keyof ProcessConfig>(key: K): ProcessConfig[K] => flags[key] ?? config?.[key];
  return pickDefined({
    redis: pick('redis'),
    cluster: pick('cluster'),
    sentinels: pick('sentinels'),
    sentinelName: pick('sentinelName'),
    prefix: pick('prefix'),
    logLevel: pick('logLevel') ?? DEFAULT_LOG_LEVEL,
    logFormat: pick('logFormat'),
    metricsPort: pick('metricsPort'),
    metricsHost: pick('metricsHost'),
  }) as RunPlan['process'];
}

function flagOptions(flags: RunRequest['flags']): HandlerOptions {
  const out: HandlerOptions = {};
  for (const key of HANDLER_OPTION_KEYS) {
    const value = (flags as HandlerOptions)[key];
    if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  }
  return out;
}

export function planRun(request: RunRequest): RunPlan {
  const { argv, flags, cwd } = request;
  const hasCommand = argv.length > 0;
  const path = request.configPath ?? (hasCommand ? undefined : findDefaultConfig(cwd));
  if (path === undefined) {
    if (!hasCommand) {
      throw invalid(`no handler command: give one after -- (drover run -q jobs -- python3 handler.py), or a config file with --config FILE or as ./${DEFAULT_CONFIG_FILE}`);
    }
    const options = resolveOptions([BUILT_IN, flagOptions(flags)]);
    return { process: processSettings(flags), services: [toService(FLAG_SERVICE_NAME, argv, flags.queue ?? [{ name: 'default' }], options)] };
  }

  const loaded = loadConfig(path, cwd);
  const { config } = loaded;
  const handlers = Object.entries(config.handlers);
  const flagLayer = flagOptions(flags);
  if (hasCommand) {
    if (handlers.length > 0) {
      throw invalid(`${loaded.label} defines handlers, so there must be no command after --; drop one or the other`);
    }
    // A config without handlers only sets defaults for the command given after --.
    const options = resolveOptions([BUILT_IN, config, flagLayer]);
    return { process: processSettings(flags, config), services: [toService(FLAG_SERVICE_NAME, argv, flags.queue ?? [{ name: 'default' }], options)], config: loaded };
  }
  if (handlers.length === 0) {
    throw invalid(`${loaded.label}: no handlers: add "handlers": {"NAME": {"command": ["python3", "handler.py"], "queues": ["NAME"]}}, or give a command after --`);
  }
  if (flags.queue && handlers.length > 1) {
    throw invalid(`-q/--queue would apply to every handler of ${loaded.label}, and a queue belongs to one handler: set handlers.NAME.queues in the file instead`);
  }
  const services = handlers.map(([name, handler]: [string, HandlerConfig]) => {
    const options = resolveOptions([BUILT_IN, { cwd: loaded.dir }, config, handler, flagLayer]);
    const queues = flags.queue ?? handler.queues ?? [{ name }];
    return toService(name, handler.command, queues, options);
  });
  return { process: processSettings(flags, config), services, config: loaded };
}
