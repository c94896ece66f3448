/**
 * Splits a byte stream (stdin) into UTF-8 lines. A line longer than maxLineBytes is not
 * buffered: its first bytes are kept (to read its task_id) and the rest is dropped up to the
 * next newline.
 */
import type { Readable } from 'node:stream';

/** Bytes of an over-long line kept for diagnostics. */
const OVERLONG_PREFIX_BYTES = 4096;
const NEWLINE = 0x0a;

export interface LineHandlers {
  line(text: string): void;
  /** An over-long line was skipped; prefix is its start, bytes its length. */
  overlong(prefix: string, bytes: number): void;
  /** The stream ended (EOF); called once, after the last line. */
  end(): void;
}

function decode(parts: Buffer[]): string {
  const text = Buffer.concat(parts).toString('utf8');
  return text.endsWith('\r') ? text.slice(0, -1) : text;
}

export function readLines(input: Readable, maxLineBytes: number, handlers: LineHandlers): void {
  let parts: Buffer[] = [];
  let size = 0;
  let skipping = false; // inside an over-long line
  let prefix = '';

  function append(piece: Buffer): void {
    size += piece.length;
    if (skipping) return;
    parts.push(piece);
    if (size > maxLineBytes) {
      prefix = Buffer.concat(parts).subarray(0, OVERLONG_PREFIX_BYTES).toString('utf8');
      parts = [];
      skipping = true;
    }
  }

  function endLine(): void {
    if (skipping) handlers.overlong(prefix, size);
    else handlers.line(decode(parts));
    parts = [];
    size = 0;
    skipping = false;
    prefix = '';
  }

  input.on('data', (chunk: Buffer | string) => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    let start = 0;
    for (let at = bytes.indexOf(NEWLINE, start); at !== -1; at = bytes.indexOf(NEWLINE, start)) {
      append(bytes.subarray(start, at));
      endLine();
      start = at + 1;
    }
    if (start < bytes.length) append(bytes.subarray(start));
  });
  let ended = false;
  function finish(): void {
    if (ended) return;
    ended = true;
    handlers.end();
  }
  input.once('end', () => {
    if (size > 0 || parts.length > 0) endLine();
    finish();
  });
  input.on('error', () => {
    // A broken stdin is treated as EOF: finish what is in flight and exit.
    input.destroy();
    finish();
  });
}
