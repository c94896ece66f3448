/**
 * NDJSON framing: turns a byte stream into lines, with a maximum line size.
 * A line over the limit is never buffered whole: its bytes are dropped as they arrive and
 * `onOverflow` is called once with the number of bytes seen, so a runaway handler cannot
 * exhaust the supervisor's memory.
 */
export interface LineSplitterHandlers {
  onLine(line: string): void;
  onOverflow(bytes: number): void;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

export class LineSplitter {
  readonly #maxLineBytes: number;
  readonly #handlers: LineSplitterHandlers;
  #parts: Buffer[] = [];
  #size = 0;
  /** Bytes of the current over-long line, or -1 when not inside one. */
  #overflowBytes = -1;

  constructor(maxLineBytes: number, handlers: LineSplitterHandlers) {
    this.#maxLineBytes = maxLineBytes;
    this.#handlers = handlers;
  }

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(NEWLINE, start);
      if (nl === -1) {
        this.#append(chunk.subarray(start));
        return;
      }
      if (this.#size === 0 && this.#overflowBytes < 0 && nl - start <= this.#maxLineBytes) {
        // The whole line is in this chunk (nearly always): decode it in place, no copy.
        this.#emit(chunk.toString('utf8', start, nl));
      } else {
        this.#append(chunk.subarray(start, nl));
        this.#endLine();
      }
      start = nl + 1;
    }
  }

  /** Flush a final line that had no trailing newline. */
  end(): void {
    if (this.#size > 0 || this.#overflowBytes >= 0) this.#endLine();
  }

  #append(piece: Buffer): void {
    if (piece.length === 0) return;
    if (this.#overflowBytes >= 0) {
      this.#overflowBytes += piece.length;
      return;
    }
    if (this.#size + piece.length > this.#maxLineBytes) {
      this.#overflowBytes = this.#size + piece.length;
      this.#parts = [];
      this.#size = 0;
      return;
    }
    this.#parts.push(piece);
    this.#size += piece.length;
  }

  #endLine(): void {
    if (this.#overflowBytes >= 0) {
      const bytes = this.#overflowBytes;
      this.#overflowBytes = -1;
      this.#handlers.onOverflow(bytes);
      return;
    }
    const line = this.#parts.length === 1 ? this.#parts[0]! : Buffer.concat(this.#parts, this.#size);
    this.#parts = [];
    this.#size = 0;
    this.#emit(line.toString('utf8'));
  }

  #emit(text: string): void {
    this.#handlers.onLine(text.charCodeAt(text.length - 1) === CARRIAGE_RETURN ? text.slice(0, -1) : text);
  }
}
