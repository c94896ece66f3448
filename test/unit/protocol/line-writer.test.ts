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
const line = (id: string): string => `{"task_id":"${id}"}\n`;

describe('LineWriter', () => {
  it('a line goes out at once unless it may be coalesced', () => {
    const { stream, calls } = recordingStream();
    const writer = new LineWriter(stream);
    void writer.write({ task_id: 'a' });
    void writer.writeLine(line('b'));
    expect(calls).toEqual([[line('a')], [line('b')]]);
  });

  it('the coalesced lines of one turn go out in one write at its end (process.nextTick), in order', async () => {
    const { stream, calls } = recordingStream();
    const writer = new LineWriter(stream);
    void writer.writeLine(line('a'), true);
    void writer.writeLine(line('b'), true);
    void writer.writeLine(line('c'), true);
    expect(calls).toEqual([]);
    await new Promise<void>((resolve) => process.nextTick(resolve));
    expect(calls).toEqual([[line('a'), line('b'), line('c')]]);

    await nextTurn();
    void writer.writeLine(line('d'), true);
    await nextTurn();
    expect(calls).toEqual([[line('a'), line('b'), line('c')], [line('d')]]);
  });

  it('a line that may not wait takes the coalesced ones before it along, at once', async () => {
    const { stream, calls } = recordingStream();
    const writer = new LineWriter(stream);
    void writer.writeLine(line('a'), true);
    void writer.write({ type: 'cancel', task_id: 'x' });
    expect(calls).toEqual([[line('a'), '{"type":"cancel","task_id":"x"}\n']]);
    // Coalescing again in the same turn still flushes at its end.
    void writer.writeLine(line('b'), true);
    await nextTurn();
    expect(calls).toEqual([[line('a'), '{"type":"cancel","task_id":"x"}\n'], [line('b')]]);
  });

  it('end() sends the coalesced lines, then ends the stream; later lines are dropped', async () => {
    const { stream, calls } = recordingStream();
    const writer = new LineWriter(stream);
    const finished = new Promise<void>((resolve) => stream.once('finish', resolve));
    void writer.writeLine(line('a'), true);
    writer.end();
    await finished;
    expect(calls).toEqual([[line('a')]]);
    expect(writer.closed).toBe(true);
    await writer.write({ task_id: 'late' });
    expect(calls).toHaveLength(1);
  });
});
