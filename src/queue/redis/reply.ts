/** Small, strict readers for script replies (which arrive as `unknown`). */
import { DroverError } from '../../errors.js';

/** The error for a script reply that is not of the form expected. */
export function unexpectedReply(what: string, value: unknown): DroverError {
  return new DroverError('QUEUE_ERROR', `unexpected script reply: ${what} (${JSON.stringify(value)})`);
}

export function asArray(value: unknown, what = 'array'): unknown[] {
  if (!Array.isArray(value)) throw unexpectedReply(`expected ${what}`, value);
  return value as unknown[];
}

export function asString(value: unknown, what = 'string'): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  throw unexpectedReply(`expected ${what}`, value);
}

export function asNumber(value: unknown, what = 'number'): number {
  const n = typeof value === 'number' ? value : Number(asString(value, what));
  if (!Number.isFinite(n)) throw unexpectedReply(`expected ${what}`, value);
  return n;
}

/** Flat [k1, v1, k2, v2, ...] (HGETALL in a script) -> record. */
export function asRecord(value: unknown): Record<string, string> {
  const flat = asArray(value, 'flat map');
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[asString(flat[i])] = asString(flat[i + 1]);
  return out;
}

/** JSON.parse that keeps a malformed value as its raw string instead of throwing. */
export function parseJson(raw: string | undefined): unknown {
  if (raw === undefined || raw === '') return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

/** JSON.stringify for payloads and results: undefined becomes null. */
export function toJson(value: unknown, option: string): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new DroverError('INVALID_INPUT', `${option} is not JSON-serializable: ${String(error)}`, { cause: error });
  }
  return text ?? 'null';
}
