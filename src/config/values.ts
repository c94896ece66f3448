/** Parsers for the values of config keys. Each returns the parsed value or throws InvalidValue. */
import { isValidQueueName } from '../queue/redis/keys.js';
import type { ProcessMode } from '../process/handler-process.js';
import { parseQueueSpec, type QueueSpec } from '../supervisor/queue-selector.js';
import { parseDuration, parseSize } from '../cli/parse-units.js';

/** "must be <expectation>": the caller adds the file, the key path and the value it got. */
export class InvalidValue extends Error {
  constructor(readonly expectation: string) {
    super(expectation);
    this.name = 'InvalidValue';
  }
}

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseModeValue(value: unknown): ProcessMode {
  if (value === 'long' || value === 'oneshot') return value;
  if (value === 'one-shot') return 'oneshot';
  throw new InvalidValue('"long" or "oneshot"');
}

export function parseIntegerValue(value: unknown, min: number): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= min) return value;
  throw new InvalidValue(min === 1 ? 'a positive integer' : `an integer >= ${min}`);
}

/** An integer >= 0, or "auto" (pipeline). */
export function parseCountOrAutoValue(value: unknown): number | 'auto' {
  if (value === 'auto') return 'auto';
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  throw new InvalidValue('an integer >= 0 or "auto"');
}

/**
 * "30s", "10m", "500ms", "2h", or a number of milliseconds. A string needs its unit: on the
 * command line a bare number means seconds, in JSON a bare number means ms, and "30" would be
 * ambiguous between the two.
 */
export function parseDurationValue(value: unknown, minMs: number): number {
  const expectation = `a duration such as "30s" or "10m", or a number of milliseconds${minMs > 0 ? `, at least ${minMs}ms` : ''}`;
  let ms: number | undefined;
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) ms = Math.round(value);
  else if (typeof value === 'string' && /^\s*\d+(?:\.\d+)?\s*(ms|s|m|h)\s*$/i.test(value)) ms = parseDuration(value);
  if (ms === undefined || ms < minMs) throw new InvalidValue(expectation);
  return ms;
}

/** "512MB", "2G", "64MiB", or a number of bytes. */
export function parseSizeValue(value: unknown, minBytes: number): number {
  const expectation = `a size such as "512MB" or "2G", or a number of bytes${minBytes > 0 ? `, at least ${minBytes}` : ''}`;
  let bytes: number | undefined;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) bytes = value;
  else if (typeof value === 'string') {
    try {
      bytes = parseSize(value);
    } catch {
      bytes = undefined;
    }
  }
  if (bytes === undefined || bytes < minBytes) throw new InvalidValue(expectation);
  return bytes;
}

export function parseBooleanValue(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  throw new InvalidValue('true or false');
}

export function parseTextValue(value: unknown): string {
  if (typeof value === 'string' && value.trim() !== '') return value;
  throw new InvalidValue('a non-empty string');
}

export function parseRedisUrlValue(value: unknown): string {
  if (typeof value === 'string') {
    try {
      const url = new URL(value);
      if (url.protocol === 'redis:' || url.protocol === 'rediss:') return value;
    } catch {
      // reported below
    }
  }
  throw new InvalidValue('a redis:// or rediss:// URL');
}

export function parsePrefixValue(value: unknown): string {
  if (typeof value === 'string' && !/[{}]/.test(value) && value.length <= 128) return value;
  throw new InvalidValue("a string without '{' or '}' (at most 128 characters)");
}

export function parseLogLevelValue(value: unknown): string {
  if (typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value)) return value;
  throw new InvalidValue(`one of ${LOG_LEVELS.map((l) => `"${l}"`).join(', ')}`);
}

export function parseLogFormatValue(value: unknown): 'json' | 'pretty' {
  if (value === 'json' || value === 'pretty') return value;
  throw new InvalidValue('"json" or "pretty"');
}

export function parsePortValue(value: unknown): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 65_535) return value;
  throw new InvalidValue('a port from 0 to 65535');
}

export function parseSentinelsValue(value: unknown): { host: string; port: number }[] {
  const expectation = 'a non-empty list of "host:port" strings';
  if (!Array.isArray(value) || value.length === 0) throw new InvalidValue(expectation);
  return value.map((item) => {
    const m = typeof item === 'string' ? /^\s*([^:\s]+):(\d+)\s*$/.exec(item) : null;
    if (!m) throw new InvalidValue(expectation);
    return { host: m[1]!, port: Number(m[2]) };
  });
}

export function parseCommandValue(value: unknown): string[] {
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string') && value[0] !== '') return value as string[];
  throw new InvalidValue('a non-empty list of strings, program first, e.g. ["python3", "handler.py"]');
}

/** One element of `queues`: "NAME" or "NAME:WEIGHT", NAME a valid queue name. */
export function parseQueueValue(value: unknown): QueueSpec {
  const expectation = '"NAME" or "NAME:WEIGHT" (NAME: 1-128 of A-Z a-z 0-9 _ . -, WEIGHT: an integer >= 1)';
  if (typeof value !== 'string') throw new InvalidValue(expectation);
  let spec: QueueSpec;
  try {
    spec = parseQueueSpec(value);
  } catch {
    throw new InvalidValue(expectation);
  }
  if (!isValidQueueName(spec.name)) throw new InvalidValue(expectation);
  return spec;
}

export function parseEnvValue(value: unknown): Record<string, string> {
  if (!isObject(value)) throw new InvalidValue('an object of environment variables, e.g. {"MODEL_PATH": "/models/a.bin"}');
  return value as Record<string, string>; // each entry is checked by the caller, to name it
}

export function parseEnvEntry(value: unknown): string {
  if (typeof value === 'string') return value;
  throw new InvalidValue('a string');
}

export function parseObjectValue(value: unknown): Record<string, unknown> {
  if (isObject(value)) return value;
  throw new InvalidValue('an object');
}
