import { createReadStream } from 'node:fs';

/** Number of non-empty lines in a file, for the progress bar's total. */
export async function countLines(path: string): Promise<number> {
  let count = 0;
  let lastByte = 0x0a;
  for await (const chunk of createReadStream(path)) {
    const buf = chunk as Buffer;
    for (let i = 0; i < buf.length; i += 1) {
      if (buf[i] === 0x0a && lastByte !== 0x0a) count += 1;
      lastByte = buf[i]!;
    }
  }
  return lastByte === 0x0a ? count : count + 1;
}
