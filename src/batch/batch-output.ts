import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import ndjson from 'ndjson';
import type { BatchRecord } from './batch-runner.js';

/** Where result lines go: stdout or a file (appended to when resuming). Writes respect backpressure. */
export class BatchOutput {
  readonly #serializer = ndjson.stringify();
  readonly #sink: Writable;
  readonly #ownsSink: boolean;
  #failed: Error | undefined;

  /** `onError` hears of a sink that broke (EPIPE from `| head`, a full disk); later writes are dropped. */
  constructor(path: string | undefined, append: boolean, onError: (error: Error) => void) {
    this.#ownsSink = path !== undefined;
    this.#sink = path === undefined ? process.stdout : createWriteStream(path, { flags: append ? 'a' : 'w' });
    this.#sink.on('error', (error: Error) => {
      if (this.#failed) return;
      this.#failed = error;
      this.#serializer.unpipe(this.#sink);
      this.#serializer.resume(); // drain into nowhere so pending writes settle
      onError(error);
    });
    this.#serializer.pipe(this.#sink, { end: this.#ownsSink });
  }

  async write(record: BatchRecord): Promise<void> {
    if (this.#failed) return;
    if (!this.#serializer.write(record)) await Promise.race([once(this.#serializer, 'drain'), once(this.#sink, 'error')]);
  }

  async close(): Promise<void> {
    if (this.#failed) return;
    if (!this.#ownsSink) {
      // stdout is not ours to end; wait until what we wrote has been handed to it.
      this.#serializer.unpipe(this.#sink);
      if (this.#sink.writableNeedDrain) await once(this.#sink, 'drain');
      return;
    }
    this.#serializer.end();
    await once(this.#sink, 'finish');
  }
}
