import type { Writable } from 'node:stream';

/** The promise of every write that needed no wait (shared: it is only ever awaited). */
const WRITTEN = Promise.resolve();

/**
 * Writes one JSON object per line to a stream, respecting backpressure: when the pipe is
 * full the returned promise waits for 'drain'. Writes are queued in order, never interleaved.
 *
 * A line written with `coalesce` waits for the end of the current turn of the event loop
 * (process.nextTick), and goes out with the others of that turn in one writev: a write that
 * wakes a sleeping handler costs the supervisor 25-60 µs on a VM. Any other line goes out at
 * once, with the coalesced ones before it.
 */
export class LineWriter {
  readonly #stream: Writable;
  #closed = false;
  /** The stream is corked by us (coalesced lines are waiting in it). */
  #corked = false;
  #flushQueued = false;
  readonly #flush = (): void => {
    this.#flushQueued = false;
    this.#uncork();
  };

  constructor(stream: Writable) {
    this.#stream = stream;
    stream.on('error', () => {
      // EPIPE when the handler died: the exit handler reports it; nothing more to do here.
      this.#closed = true;
    });
  }

  get closed(): boolean {
    return this.#closed || this.#stream.destroyed || this.#stream.writableEnded;
  }

  /** Serialise and write; resolves when the stream accepted it (after 'drain' if needed). */
  write(message: unknown): Promise<void> {
    return this.writeLine(`${JSON.stringify(message)}\n`);
  }

  /** Write a line already serialised (it must end with a newline); `coalesce`: see the class. */
  writeLine(line: string, coalesce = false): Promise<void> {
    // Not async: a write the pipe takes at once (nearly every one) allocates no promise.
    if (this.closed) return WRITTEN;
    if (coalesce && !this.#corked) {
      this.#corked = true;
      this.#stream.cork();
      if (!this.#flushQueued) {
        this.#flushQueued = true;
        process.nextTick(this.#flush);
      }
    }
    const accepted = this.#stream.write(line);
    if (!coalesce) this.#uncork();
    if (accepted) return WRITTEN;
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.#stream.off('drain', done);
        this.#stream.off('close', done);
        this.#stream.off('error', done);
        resolve();
      };
      this.#stream.once('drain', done);
      this.#stream.once('close', done);
      this.#stream.once('error', done);
    });
  }

  #uncork(): void {
    if (!this.#corked) return;
    this.#corked = false;
    this.#stream.uncork();
  }

  /** EOF on the handler's stdin: "finish in-flight work and exit". */
  end(): void {
    if (this.closed) return;
    this.#closed = true;
    this.#stream.end();
  }
}
