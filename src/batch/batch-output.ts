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

  constructor(path: string | undefined, append: boolean) {
    this.#ownsSink = path !== undefined;
    this.#sink = path === undefined ? process.stdout : createWriteStream(path, { flags: append ? 'a' : 'w' });
    this.#serializer.pipe(this.#sink, { end: this.#ownsSink });
  }

  async write(record: BatchRecord): Promise<void> {
    if (!this.#serializer.write(record)) await once(this.#serializer, 'drain');
  }

  async close(): Promise<void> {
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
