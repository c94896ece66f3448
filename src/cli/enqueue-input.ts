/**
 * What `drover enqueue` enqueues: one payload (an argument, or all of stdin), or the lines of
 * an NDJSON file, each a bare payload or an envelope `{"id"?, "payload", "options"?}`.
 */
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { DroverError } from '../errors.js';
import { makeTaskId } from '../queue/redis/keys.js';
import { DEFAULT_MAX_PAYLOAD_BYTES, type EnqueueOptions, normalizeEnqueueOptions } from '../queue/redis/options.js';
import { payloadJson } from '../queue/redis/payload.js';
import { printNotice } from './print.js';

/** One NDJSON line: a task to enqueue, or a line that cannot be (reported, never enqueued). */
export type InputLine =
  | { ok: true; line: number; payload: unknown; options: EnqueueOptions }
  | { ok: false; line: number; message: string };

const ENVELOPE_KEYS = new Set(['id', 'payload', 'options']);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJsonText(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const hint = /^[A-Za-z]/.test(text.trim()) ? ' (a string payload needs JSON quotes: \'"text"\')' : '';
    throw new DroverError('INVALID_INPUT', `${what} is not valid JSON (${(error as Error).message})${hint}`, { cause: error });
  }
}

/** The payload given as an argument; undefined or '-' reads one JSON document from stdin. */
export async function readPayload(arg: string | undefined): Promise<unknown> {
  if (arg !== undefined && arg !== '-') return parseJsonText(arg, 'the payload argument');
  if (process.stdin.isTTY) printNotice('drover enqueue: reading one JSON payload from stdin (end with Ctrl-D)');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') {
    throw new DroverError('INVALID_INPUT', 'no payload: stdin was empty (give the payload as an argument, pipe one JSON document, or use --file)');
  }
  return parseJsonText(text, 'the payload read from stdin');
}

/**
 * One line -> a task with `defaults` under the line's own options; null for a blank line.
 * Options are validated here, so one bad line never fails the batch it would be sent in.
 */
export function parseInputLine(queue: string, text: string, line: number, defaults: EnqueueOptions, maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES): InputLine | null {
  if (text.trim() === '') return null;
  const bad = (message: string): InputLine => ({ ok: false, line, message: `line ${line}: ${message}` });
  // An over-size payload is one bad line, not a failed batch.
  const payloadFits = (payload: unknown): InputLine | null => {
    try {
      payloadJson(payload, maxPayloadBytes);
      return null;
    } catch (error) {
      return bad((error as Error).message);
    }
  };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return bad(`not valid JSON (${(error as Error).message}): ${text.slice(0, 80)}`);
  }
  if (!isObject(value) || !('payload' in value) || !Object.keys(value).every((k) => ENVELOPE_KEYS.has(k))) {
    return payloadFits(value) ?? { ok: true, line, payload: value, options: defaults };
  }
  const { id, options } = value;
  if (id !== undefined && typeof id !== 'string' && typeof id !== 'number') {
    return bad(`"id" must be a string or a number, got ${JSON.stringify(id)}`);
  }
  if (options !== undefined && !isObject(options)) return bad(`"options" must be an object, got ${JSON.stringify(options)}`);
  const merged: EnqueueOptions = { ...defaults, ...(options as EnqueueOptions | undefined) };
  if (id !== undefined) merged.id = String(id);
  try {
    const normalized = normalizeEnqueueOptions(merged);
    if (normalized.id !== undefined) makeTaskId(queue, normalized.id);
  } catch (error) {
    return bad((error as Error).message);
  }
  return payloadFits(value.payload) ?? { ok: true, line, payload: value.payload, options: merged };
}

/** The lines of an NDJSON file ('-' = stdin), parsed one at a time. */
export async function* readInputLines(path: string, queue: string, defaults: EnqueueOptions, maxPayloadBytes = DEFAULT_MAX_PAYLOAD_BYTES): AsyncGenerator<InputLine> {
  let lines: AsyncIterable<string>;
  let close = async (): Promise<void> => undefined;
  if (path === '-') {
    lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  } else {
    const handle = await open(path).catch((error: unknown) => {
      throw new DroverError('INVALID_INPUT', `cannot read --file ${path}: ${(error as Error).message}`, { cause: error });
    });
    lines = handle.readLines();
    close = () => handle.close().catch(() => undefined);
  }
  try {
    let n = 0;
    for await (const text of lines) {
      n += 1;
      const item = parseInputLine(queue, text, n, defaults, maxPayloadBytes);
      if (item) yield item;
    }
  } finally {
    await close();
  }
}
