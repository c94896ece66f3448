/**
 * Checks a parsed JSON value against the schema and returns a typed DroverConfig. Every error is
 * a DroverError INVALID_OPTION (exit 2) that names the file and the key path, e.g.
 * `drover.config.json: handlers.model.concurrency must be a positive integer, got "two"`.
 */
import { isAbsolute, resolve } from 'node:path';
import { DroverError } from '../errors.js';
import type { QueueSpec } from '../supervisor/queue-selector.js';
import { CONFIG_KEYS, HANDLER_NAME, keysAllowedAt, type ConfigKey } from './schema.js';
import { closestKey } from './suggest.js';
import type { DroverConfig, HandlerConfig } from './types.js';
import { redactUrl } from '../client/redact-url.js';
import { InvalidValue, parseEnvEntry, parseObjectValue, parseQueueValue } from './values.js';

/** A value as the error shows it: JSON, cut short when long, URL passwords masked. */
function show(value: unknown): string {
  const text = value === undefined ? 'nothing' : JSON.stringify(typeof value === 'string' ? redactUrl(value) : value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export class ConfigValidator {
  /**
   * @param label the file as the user named it, the start of every message
   * @param dir   absolute directory of the file: relative `cwd` values resolve against it
   */
  constructor(
    private readonly label: string,
    private readonly dir: string,
  ) {}

  error(message: string): DroverError {
    return new DroverError('INVALID_OPTION', `${this.label}: ${message}`);
  }

  /** Runs `parse`, turning InvalidValue into "<path> must be <expectation>, got <value>". */
  private value<T>(path: string, value: unknown, parse: (v: unknown) => T): T {
    try {
      return parse(value);
    } catch (error) {
      if (error instanceof InvalidValue) throw this.error(`${path} must be ${error.expectation}, got ${show(value)}`);
      throw error;
    }
  }

  private unknownKey(path: string, key: string, level: 'top' | 'handler'): DroverError {
    const where = path ? `${path}.${key}` : key;
    const spec = (CONFIG_KEYS as Record<string, { scope: string }>)[key];
    if (spec && level === 'handler' && spec.scope === 'process') {
      return this.error(`${where}: "${key}" is a top-level key (one Redis session and one logger serve every handler); move it out of ${path}`);
    }
    if (spec && level === 'top' && spec.scope === 'handler') {
      return this.error(`${key}: "${key}" belongs inside a handler, e.g. handlers.<name>.${key}`);
    }
    const suggestion = closestKey(key, keysAllowedAt(level));
    return this.error(`unknown key ${where}${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`);
  }

  /** The keys shared by the top level and handlers, plus those of `level`; `path` prefixes messages. */
  private fields(raw: Record<string, unknown>, path: string, level: 'top' | 'handler'): Record<string, unknown> {
    const allowed = new Set<string>(keysAllowedAt(level));
    const out: Record<string, unknown> = {};
    const at = (key: string): string => (path ? `${path}.${key}` : key);
    for (const [key, value] of Object.entries(raw)) {
      if (!allowed.has(key)) throw this.unknownKey(path, key, level);
      if (key === 'handlers') continue; // walked by config()
      if (key === 'queues') out.queues = this.queues(at(key), value);
      else if (key === 'env') out.env = this.env(at(key), value);
      else if (key === 'cwd') out.cwd = this.cwd(at(key), value);
      else out[key] = this.value(at(key), value, CONFIG_KEYS[key as ConfigKey].parse);
    }
    return out;
  }

  private queues(path: string, value: unknown): QueueSpec[] {
    if (!Array.isArray(value) || value.length === 0) {
      throw this.error(`${path} must be a non-empty list of queue names, e.g. ["inference"] or ["thumbnails:3", "misc:1"], got ${show(value)}`);
    }
    const specs = value.map((item, i) => this.value(`${path}[${i}]`, item, parseQueueValue));
    const seen = new Set<string>();
    for (const spec of specs) {
      if (seen.has(spec.name)) throw this.error(`${path} lists queue "${spec.name}" twice`);
      seen.add(spec.name);
    }
    return specs;
  }

  private env(path: string, value: unknown): Record<string, string> {
    const entries = this.value(path, value, (v) => Object.entries(parseObjectValue(v)));
    return Object.fromEntries(entries.map(([name, v]) => [name, this.value(`${path}.${name}`, v, parseEnvEntry)]));
  }

  private cwd(path: string, value: unknown): string {
    const text = this.value(path, value, (v) => {
      if (typeof v === 'string' && v !== '') return v;
      throw new InvalidValue('a directory path (relative to the config file)');
    });
    return isAbsolute(text) ? text : resolve(this.dir, text);
  }

  private handler(name: string, raw: unknown): HandlerConfig {
    const path = `handlers.${name}`;
    if (!HANDLER_NAME.test(name)) throw this.error(`handler name ${show(name)} must be 1-64 of A-Z a-z 0-9 _ . -`);
    const fields = this.fields(this.value(path, raw, parseObjectValue), path, 'handler');
    if (fields.command === undefined) throw this.error(`${path}.command is missing: the program to run and its arguments, e.g. ["python3", "handler.py"]`);
    return fields as unknown as HandlerConfig;
  }

  /** The whole file's value. */
  config(raw: unknown): DroverConfig {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw this.error(`expected a JSON object at the top level, got ${show(raw)}`);
    const top = raw as Record<string, unknown>;
    const config = this.fields(top, '', 'top') as unknown as DroverConfig;
    const handlersRaw = top.handlers === undefined ? {} : this.value('handlers', top.handlers, parseObjectValue);
    config.handlers = Object.fromEntries(Object.entries(handlersRaw).map(([name, value]) => [name, this.handler(name, value)]));
    checkQueuesServedOnce(this, config.handlers);
    return config;
  }
}

/** A queue served by two handlers of one process would make them race for its tasks: refused. */
export function checkQueuesServedOnce(validator: ConfigValidator, handlers: Record<string, { queues?: QueueSpec[] }>): void {
  const owner = new Map<string, string>();
  for (const [name, handler] of Object.entries(handlers)) {
    for (const queue of handler.queues ?? [{ name }]) {
      const other = owner.get(queue.name);
      if (other !== undefined) {
        throw validator.error(`queue "${queue.name}" is served by both handlers.${other} and handlers.${name}; a queue belongs to one handler`);
      }
      owner.set(queue.name, name);
    }
  }
}
