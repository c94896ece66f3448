import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LineWriter } from '../../../src/protocol/line-writer.js';

/** A stream that records each write call it gets: one entry per write or writev. */
function recordingStream(): { stream: Writable; calls: string[][] } {
  const calls: string[][] = [];
  const stream = new Writable({
    decodeStrings: false,
    write(chunk: string, _encoding, callback) {
      calls.push([chunk]);
      callback();
    },
    writev(chunks, callback) {
      calls.push(chunks.map((c) => c.chunk as string));
      callback();
    },
  });
  return { stream, calls };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('LineWriter', () => {
  it('sends the lines written in one turn of the event loop in one write, in order', async () => {
    const { stream, calls } = recordingStream();
    const writer = new LineWriter(stream);
    await Promise.all([writer.write({ task_id: 'a' }), writer.write({ task_id: 'b' }), writer.writeLine('{"task_id":"c"}\n')]);
    await nextTurn();
    expect(calls).toEqual([['{"task_id":"a"}\n', '{"task_id":"b"}\n', '{"task_id":"c"}\n']]);

    await writer.write({ task_id: 'd' });
    await nextTurn();
    expect(calls).toEqual([['{"task_id":"a"}\n', '{"task_id":"b"}\n', '{"task_id":"c"}\n'], ['{"task_id":"d"}\n']]);
  });

  it('a corked line goes out at the end of the same turn (process.nextTick), before any timer or I/O callback', async () => {
    const { stream, calls } = recordingStream();
    const writer = new LineWriter(stream);
    void writer.write({ task_id: 'a' });
    expect(calls).toEqual([]); // corked for the rest of this turn
    await new Promise<void>((resolve) => process.nextTick(resolve));
    expect(calls).toEqual([['{"task_id":"a"}\n']]);
  });

  it('end() sends the lines still corked, then ends the stream', async () => {
    const { stream, calls } = recordingStream();
    const writer = new LineWriter(stream);
    const finished = new Promise<void>((resolve) => stream.once('finish', resolve));
    void writer.write({ task_id: 'a' });
    writer.end();
    await finished;
    expect(calls).toEqual([['{"task_id":"a"}\n']]);
    expect(writer.closed).toBe(true);
    await writer.write({ task_id: 'late' }); // after end: dropped without an error
    expect(calls).toHaveLength(1);
  });
});
