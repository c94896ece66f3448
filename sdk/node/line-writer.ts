/**
 * Writes whole lines to one stream, in order, so lines never interleave. Lines queued in the same
 * turn (a batch's replies, tasks that finished together) go out in one `write()` once the turn's
 * microtasks ran: one syscall, and one wake-up of the supervisor, instead of one per line. When
 * the stream reports backpressure (`write()` returned false) further lines wait in memory for
 * `'drain'`; each line's promise resolves once the stream has handed it to the OS. After a
 * stream error every pending and later line resolves at once (nobody reads them).
 */

/** The subset of a Writable the writer needs; `write` may be a saved original method. */
export interface LineSink {
  write(chunk: string, callback: (error?: Error | null) => void): boolean;
  once(event: 'drain', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

export interface LineWriter {
  /** Queues one line (a newline is appended). Never rejects. */
  writeLine(line: string): Promise<void>;
  /** Resolves when every line queued so far has been handed to the OS (or the sink failed). */
  flush(): Promise<void>;
}

interface QueuedLine {
  text: string;
  done: () => void;
}

export function createLineWriter(sink: LineSink, onError: (error: Error) => void): LineWriter {
  const queue: QueuedLine[] = [];
  const unfinished = new Set<QueuedLine>(); // handed to sink.write, callback not run yet
  const idleWaiters: Array<() => void> = [];
  let waitingForDrain = false;
  let failed = false;

  function settleIdle(): void {
    if (!failed && (queue.length > 0 || unfinished.size > 0)) return;
    for (const resolve of idleWaiters.splice(0)) resolve();
  }

  function fail(error: Error): void {
    if (failed) return;
    failed = true;
    for (const line of [...queue.splice(0), ...unfinished]) line.done();
    unfinished.clear();
    settleIdle();
    onError(error);
  }

  let pumpQueued = false;
  const queuedPump = (): void => {
    pumpQueued = false;
    pump();
  };

  function pump(): void {
    if (waitingForDrain || failed || queue.length === 0) return;
    const lines = queue.splice(0);
    const text = lines.length === 1 ? (lines[0] as QueuedLine).text : lines.map((line) => line.text).join('');
    for (const line of lines) unfinished.add(line);
    const accepted = sink.write(text, (error) => {
      for (const line of lines) {
        unfinished.delete(line);
        line.done();
      }
      if (error) fail(error);
      settleIdle();
    });
    if (!accepted) {
      waitingForDrain = true;
      sink.once('drain', () => {
        waitingForDrain = false;
        pump();
      });
    }
  }

  sink.on('error', fail);

  return {
    writeLine(line) {
      if (failed) return Promise.resolve();
      return new Promise<void>((resolve) => {
        queue.push({ text: `${line}\n`, done: resolve });
        if (!pumpQueued) {
          pumpQueued = true;
          queueMicrotask(queuedPump);
        }
      });
    },
    flush() {
      if (failed || (queue.length === 0 && unfinished.size === 0)) return Promise.resolve();
      return new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
  };
}
