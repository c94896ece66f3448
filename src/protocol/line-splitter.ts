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
      const end = nl === -1 ? chunk.length : nl;
      this.#append(chunk.subarray(start, end));
      if (nl === -1) return;
      this.#endLine();
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
    let text = line.toString('utf8');
    if (text.endsWith('\r')) text = text.slice(0, -1);
    this.#handlers.onLine(text);
  }
}
