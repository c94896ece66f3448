import { describe, expect, it } from 'vitest';
import { AutoWriteAhead, MAX_WRITE_AHEAD, SHORT_STREAK, SHORT_STREAK_AFTER_CRASH } from '../../../src/process/write-ahead.js';

const feed = (w: AutoWriteAhead, ms: number, n: number): boolean[] => Array.from({ length: n }, () => w.note(ms));

describe('--pipeline auto: how many tasks are written ahead', () => {
  it('none until 16 short tasks in a row, then enough to cover ~2 ms of them (1 to 32)', () => {
    const tiny = new AutoWriteAhead();
    const changed = feed(tiny, 0.05, SHORT_STREAK);
    expect(changed.indexOf(true)).toBe(SHORT_STREAK - 1); // the 16th
    expect(tiny.depth).toBe(MAX_WRITE_AHEAD); // 2 ms / 0.05 ms = 40, capped
    const half = new AutoWriteAhead();
    feed(half, 0.5, SHORT_STREAK);
    expect(half.depth).toBe(4);
    const slow = new AutoWriteAhead();
    feed(slow, 1.5, SHORT_STREAK);
    expect(slow.depth).toBe(1);
  });

  it('drops to none at the first task of 2 ms or more, and starts counting again', () => {
    const w = new AutoWriteAhead();
    feed(w, 0.1, SHORT_STREAK);
    expect(w.depth).toBeGreaterThan(0);
    expect(w.note(2)).toBe(true);
    expect(w.depth).toBe(0);
    expect(feed(w, 0.1, SHORT_STREAK - 1).some(Boolean)).toBe(false);
    expect(w.note(0.1)).toBe(true);
  });

  it('resizes only every 16 short tasks, so the capacity does not move with every task', () => {
    const w = new AutoWriteAhead();
    feed(w, 0.5, SHORT_STREAK);
    expect(w.depth).toBe(4);
    const changes = feed(w, 0.2, SHORT_STREAK * 4);
    expect(changes.filter(Boolean).length).toBeLessThanOrEqual(4);
    expect(w.depth).toBe(9); // the moving mean came down to ~0.205 ms: 2 / 0.205 = 9
  });

  it('after a crash of the process it replaces, waits for 256 short tasks in a row', () => {
    const w = new AutoWriteAhead(true);
    expect(feed(w, 0.1, SHORT_STREAK_AFTER_CRASH - 1).some(Boolean)).toBe(false);
    expect(w.depth).toBe(0);
    expect(w.note(0.1)).toBe(true);
    expect(w.depth).toBe(20); // 2 ms / 0.1 ms
  });
});
