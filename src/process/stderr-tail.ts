/** The last few stderr lines of a process, quoted in load-failure and crash messages. */
export class StderrTail {
  readonly #lines: string[] = [];
  readonly #max: number;

  constructor(max = 20) {
    this.#max = max;
  }

  push(line: string): void {
    this.#lines.push(line.length > 2000 ? `${line.slice(0, 2000)}…` : line);
    if (this.#lines.length > this.#max) this.#lines.shift();
  }

  /** "" or "\n--- last stderr lines ---\n…" for appending to a message. */
  format(): string {
    if (this.#lines.length === 0) return '';
    return `\nlast stderr lines:\n${this.#lines.map((l) => `  ${l}`).join('\n')}`;
  }
}
