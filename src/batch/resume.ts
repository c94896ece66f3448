import { createReadStream, existsSync } from 'node:fs';
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
