import { describe, expect, it } from 'vitest';
import type { BatchRecord } from '../../../src/batch/batch-runner.js';
import { OrderedOutput } from '../../../src/batch/ordered-output.js';

const rec = (id: string): BatchRecord => ({ id, result: id });

describe('OrderedOutput', () => {
  it('writes in sequence order whatever order records finish in, skipping nulls', async () => {
    const written: string[] = [];
    const out = new OrderedOutput(async (r) => void written.push(r.id));
    await out.put(2, rec('c'));
    await out.put(1, null); // an interrupted task: nothing to write, must not block the rest
    expect(written).toEqual([]);
    await out.put(0, rec('a'));
    expect(written).toEqual(['a', 'c']);
    await out.put(3, rec('d'));
    expect(written).toEqual(['a', 'c', 'd']);
  });

  it('holds finishing tasks back once maxPending records wait, and lets them go when the head arrives', async () => {
    const written: string[] = [];
    const out = new OrderedOutput(async (r) => void written.push(r.id), 1);
    await out.put(1, rec('b'));
    let thirdDone = false;
    const third = out.put(2, rec('c')).then(() => (thirdDone = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(thirdDone).toBe(false); // two records waiting > maxPending 1
    await out.put(0, rec('a'));
    await third;
    expect(written).toEqual(['a', 'b', 'c']);
  });
});
