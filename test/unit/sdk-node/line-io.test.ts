import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readLines } from '../../../sdk/node/line-reader.js';
import { createLineWriter, type LineSink } from '../../../sdk/node/line-writer.js';

/** A sink that accepts `capacity` writes, then reports backpressure until drained by the test. */
function fakeSink(capacity: number) {
  const emitter = new EventEmitter();
  const written: string[] = [];
  const callbacks: Array<() => void> = [];
  let buffered = 0;
  const sink: LineSink = {
    write(chunk, callback) {
      written.push(chunk);
      buffered += 1;
      callbacks.push(() => callback(null));
      return buffered < capacity;
    },
    once: (event, listener) => emitter.once(event, listener),
    on: (event, listener) => emitter.on(event, listener),
  };
  return {
    sink,
    written,
    drain() {
      buffered = 0;
      for (const callback of callbacks.splice(0)) callback();
      emitter.emit('drain');
    },
  };
}

describe('line writer', () => {
  it("writes a turn's lines in one write, in order, and holds further lines while the sink is full", async () => {
    const fake = fakeSink(1);
    const writer = createLineWriter(fake.sink, () => {});
    const done: string[] = [];
    const tick = () => new Promise((resolve) => setImmediate(resolve));
    for (const text of ['a', 'b']) void writer.writeLine(text).then(() => done.push(text));
    expect(fake.written).toEqual([]); // written once the turn's microtasks ran
    await tick();
    expect(fake.written).toEqual(['a\nb\n']); // one write; write() returned false (full)
    for (const text of ['c', 'd']) void writer.writeLine(text).then(() => done.push(text));
    await tick();
    expect(fake.written).toEqual(['a\nb\n']); // held until 'drain'
    let flushed = false;
    void writer.flush().then(() => {
      flushed = true;
    });
    fake.drain();
    expect(fake.written).toEqual(['a\nb\n', 'c\nd\n']);
    await tick();
    expect(done).toEqual(['a', 'b']);
    expect(flushed).toBe(false);
    fake.drain();
    await writer.flush();
    expect(done).toEqual(['a', 'b', 'c', 'd']);
    expect(flushed).toBe(true);
  }, 2_000);

  it('reports a failed sink once and settles every waiting line', async () => {
    const emitter = new EventEmitter();
    const sink: LineSink = {
      write: () => false, // accepted, never called back: the pipe is stuck
      once: (event, listener) => emitter.once(event, listener),
      on: (event, listener) => emitter.on(event, listener),
    };
    const errors: string[] = [];
    const writer = createLineWriter(sink, (error) => errors.push(error.message));
    const lines = [writer.writeLine('a'), writer.writeLine('b')];
    emitter.emit('error', new Error('EPIPE'));
    emitter.emit('error', new Error('again'));
    await Promise.all([...lines, writer.flush(), writer.writeLine('c')]);
    expect(errors).toEqual(['EPIPE']);
  }, 2_000);
});

describe('line reader', () => {
  it('splits chunks into lines across chunk borders, strips CR, keeps a last unterminated line', async () => {
    const input = new PassThrough();
    const lines: string[] = [];
    const ended = new Promise<void>((resolve) => readLines(input, 1024, { line: (l) => lines.push(l), overlong: () => {}, end: resolve }));
    const text = Buffer.from('{"a":"é"}\r\nsecond\n\nlast');
    for (const byte of text) input.write(Buffer.from([byte])); // split inside the UTF-8 é too
    input.end();
    await ended;
    expect(lines).toEqual(['{"a":"é"}', 'second', '', 'last']);
  }, 2_000);

  it('skips an over-long line without buffering it and reports its start', async () => {
    const input = new PassThrough();
    const lines: string[] = [];
    const overlong: Array<[string, number]> = [];
    const ended = new Promise<void>((resolve) =>
      readLines(input, 16, { line: (l) => lines.push(l), overlong: (p, n) => overlong.push([p, n]), end: resolve }),
    );
    input.write('short\n{"task_id":"t1",');
    input.write(`"payload":"${'x'.repeat(100)}"}\nafter\n`);
    input.end();
    await ended;
    expect(lines).toEqual(['short', 'after']);
    expect(overlong).toHaveLength(1);
    expect(overlong[0]?.[0].startsWith('{"task_id":"t1",')).toBe(true);
    expect(overlong[0]?.[1]).toBe('{"task_id":"t1",'.length + `"payload":"${'x'.repeat(100)}"}`.length);
  }, 2_000);
});
