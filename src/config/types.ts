/** The shapes of a parsed `drover.config.json` (docs/config.md). Durations are ms, sizes bytes. */
import type { LogFormat } from '../cli/logger.js';
import type { ProcessMode } from '../process/handler-process.js';
import type { QueueSpec } from '../supervisor/queue-selector.js';

/**
 * Options every handler has. The same names as `drover run`'s flags (camelCase), so a flag,
 * a handler's config, and the top level of the config are layers of one object.
 */
export interface HandlerOptions {
  mode?: ProcessMode;
  concurrency?: number;
  /** Long-lived: tasks written ahead beyond a handler's concurrency, or 'auto' (PoolOptions.pipeline). */
  pipeline?: number | 'auto';
  loadTimeout?: number;
  maxTasksPerProcess?: number;
  maxRss?: number;
  maxLineBytes?: number;
  cancelGrace?: number;
  killGrace?: number;
  maxFailedStarts?: number;
  lease?: number;
  prefetch?: number;
  grace?: number;
  recoverInterval?: number;
  timeout?: number;
  /** Environment variables added to the handler's (merged: a handler's win over the top level's). */
  env?: Record<string, string>;
  /** Working directory of the handler processes, absolute once loaded. */
  cwd?: string;
}

/** One entry of `handlers`. */
export interface HandlerConfig extends HandlerOptions {
  /** Program and arguments, never run through a shell. */
  command: string[];
  /** @defaultValue [the handler's name] */
  queues?: QueueSpec[];
}

/** Settings of the one `drover run` process: a single Redis session and logger serve every handler. */
export interface ProcessConfig {
  redis?: string;
  cluster?: boolean;
  sentinels?: { host: string; port: number }[];
  sentinelName?: string;
  prefix?: string;
  logLevel?: string;
  logFormat?: LogFormat;
  metricsPort?: number;
  metricsHost?: string;
}

/** A whole config file: process settings, defaults for every handler, and the handlers by name. */
export interface DroverConfig extends ProcessConfig, HandlerOptions {
  handlers: Record<string, HandlerConfig>;
}

/** A config file as read: where it came from (for messages and relative paths) and its content. */
export interface LoadedConfig {
  /** The path as the user gave it (or `drover.config.json` when found in the current directory). */
  label: string;
  /** Absolute directory of the file: relative `cwd` values resolve against it. */
  dir: string;
  config: DroverConfig;
}
