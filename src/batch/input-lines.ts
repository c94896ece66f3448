import type { Readable } from 'node:stream';
import { LineSplitter } from '../protocol/line-splitter.js';

/** One line of batch input, parsed: a task, or a line we could not read (reported, never dropped). */
export type BatchInput =
  | { ok: true; id: string; payload: unknown; line: number }
  | { ok: false; id: string; line: number; message: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Keys of an envelope line; `task_id` is accepted so that protocol task lines can be replayed. */
const ENVELOPE_KEYS = new Set(['id', 'task_id', 'payload']);

/**
 * Parse one NDJSON input line. A line is either a bare payload (its id is its line number)
 * or an envelope `{"id": "...", "payload": ...}` (an object with a `payload` key and no
 * keys other than `id` (or `task_id`) and `payload`).
 */
export function parseInputLine(text: string, line: number): BatchInput | null {
  if (text.trim() === '') return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, id: String(line), line, message: `input line ${line} is not valid JSON (${(error as Error).message}): ${text.slice(0, 120)}` };
  }
  if (isObject(value) && 'payload' in value && Object.keys(value).every((k) => ENVELOPE_KEYS.has(k))) {
    const id = value.id ?? value.task_id;
    if (id !== undefined && typeof id !== 'string' && typeof id !== 'number') {
      return { ok: false, id: String(line), line, message: `input line ${line}: "id" must be a string or a number, got ${JSON.stringify(id)}` };
    }
    return { ok: true, id: id === undefined ? String(line) : String(id), payload: value.payload, line };
  }
  return { ok: true, id: String(line), payload: value, line };
}

/** Stream the input's lines as parsed items, one at a time (inputs can be larger than memory). */
export async function* readBatchInputs(stream: Readable, maxLineBytes: number): AsyncGenerator<BatchInput> {
  let lineNo = 0;
  const ready: BatchInput[] = [];
  const splitter = new LineSplitter(maxLineBytes, {
    onLine: (text) => {
      lineNo += 1;
      const item = parseInputLine(text, lineNo);
      if (item) ready.push(item);
    },
    onOverflow: (bytes) => {
      lineNo += 1;
      ready.push({ ok: false, id: String(lineNo), line: lineNo, message: `input line ${lineNo} has ${bytes} bytes, over the maximum of ${maxLineBytes} (--max-line-bytes)` });
    },
  });
  for await (const chunk of stream) {
    splitter.push(chunk as Buffer);
    yield* ready.splice(0);
  }
  splitter.end();
  yield* ready.splice(0);
}
