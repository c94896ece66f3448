import { describe, expect, it } from 'vitest';
import { formatDuration, formatProgress } from '../../../src/batch/progress-bar.js';

describe('progress bar', () => {
  it('shows done/total, percent, rate, ETA and failures', () => {
    const line = formatProgress({ done: 50, failed: 2, total: 200 }, 10_000, 20);
    expect(line).toBe('[====>               ] 50/200 25% 5.0/s ETA 30s 2 failed');
  });

  it('shows count and rate when the total is unknown (stdin)', () => {
    expect(formatProgress({ done: 1234, failed: 0, total: undefined }, 2000)).toBe('1234 done 617/s');
  });

  it('formats durations for people', () => {
    expect([formatDuration(4_400), formatDuration(125_000), formatDuration(7_380_000)]).toEqual(['4s', '2m05s', '2h03m']);
  });
});
