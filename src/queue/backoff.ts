import { DroverError } from '../errors.js';
import { showValue } from './show-value.js';

/** How long to wait before the next attempt of a failed task (batch and Redis alike). */
export interface BackoffOptions {
  /** @defaultValue 'exponential' */
  type?: 'exponential' | 'fixed';
  /** First delay (exponential: doubles per failed attempt), or every delay (fixed). @defaultValue 1000 */
  baseMs?: number;
  /** Upper bound of one delay. @defaultValue 600000 (10 min) */
  maxMs?: number;
  /** Full jitter: the delay is a uniform random value in [0, delay]. @defaultValue true */
  jitter?: boolean;
}

export const DEFAULT_BACKOFF: Readonly<Required<BackoffOptions>> = {
  type: 'exponential',
  baseMs: 1000,
  maxMs: 600_000,
  jitter: true,
};

function invalid(option: string, expected: string, value: unknown): DroverError {
  return new DroverError('INVALID_OPTION', `${option}: expected ${expected}, got ${showValue(value)}`);
}

function int(option: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw invalid(option, `an integer >= ${min}`, value);
  return value;
}

export function normalizeBackoff(value: unknown = {}, option = 'backoff'): Required<BackoffOptions> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(option, 'an object { type, baseMs, maxMs, jitter }', value);
  }
  const b = value as BackoffOptions;
  const type = b.type ?? DEFAULT_BACKOFF.type;
  if (type !== 'exponential' && type !== 'fixed') throw invalid(`${option}.type`, "'exponential' or 'fixed'", type);
  const baseMs = int(`${option}.baseMs`, b.baseMs ?? DEFAULT_BACKOFF.baseMs, 0);
  const maxMs = int(`${option}.maxMs`, b.maxMs ?? Math.max(DEFAULT_BACKOFF.maxMs, baseMs), baseMs);
  const jitter = b.jitter ?? DEFAULT_BACKOFF.jitter;
  if (typeof jitter !== 'boolean') throw invalid(`${option}.jitter`, 'a boolean', jitter);
  return { type, baseMs, maxMs, jitter };
}
