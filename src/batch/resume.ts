import { createReadStream, existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { DEFAULT_MAX_LINE_BYTES } from '../protocol/messages.js';
import { LineSplitter } from '../protocol/line-splitter.js';

/**
 * Ids already written to a previous run's output file (GNU parallel's --resume): ids with a
 * result, and ids that failed. With `--resume-failed` the failed ones run again.
 * A torn last line (the previous run was killed mid-write) is ignored.
 */
export async function readFinishedIds(path: string): Promise<{ succeeded: Set<string>; failed: Set<string> }> {
  const succeeded = new Set<string>();
  const failed = new Set<string>();
  if (!existsSync(path)) return { succeeded, failed };
  const splitter = new LineSplitter(DEFAULT_MAX_LINE_BYTES, {
    onLine: (text) => {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        return;
      }
      if (typeof value !== 'object' || value === null) return;
      const record = value as Record<string, unknown>;
      if (typeof record.id !== 'string') return;
      if ('result' in record) {
        succeeded.add(record.id);
        failed.delete(record.id);
      } else if ('error' in record && !succeeded.has(record.id)) {
        failed.add(record.id);
      }
    },
    onOverflow: () => {},
  });
  for await (const chunk of createReadStream(path)) splitter.push(chunk as Buffer);
  splitter.end();
  return { succeeded, failed };
}

/**
 * Cut a torn last line (a previous run killed mid-write) off the output before appending, so
 * the next record starts on a line of its own. Returns the bytes removed.
 */
export async function trimTornTail(path: string): Promise<number> {
  if (!existsSync(path)) return 0;
  const file = await open(path, 'r+');
  try {
    const { size } = await file.stat();
    let end = size;
    const buf = Buffer.alloc(64 * 1024);
    while (end > 0) {
      const start = Math.max(0, end - buf.length);
      const { bytesRead } = await file.read(buf, 0, end - start, start);
      const nl = buf.subarray(0, bytesRead).lastIndexOf(0x0a);
      if (nl >= 0) {
        end = start + nl + 1;
        break;
      }
      end = start;
    }
    if (end < size) await file.truncate(end);
    return size - end;
  } finally {
    await file.close();
  }
}
