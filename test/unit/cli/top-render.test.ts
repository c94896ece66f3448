import { describe, expect, it } from 'vitest';
import type { QueueStats } from '../../../src/queue/redis/stats.js';
import type { SupervisorRecord } from '../../../src/queue/redis/supervisors.js';
import { fitTable } from '../../../src/cli/top/fit-table.js';
import { formatProcesses, renderFrame } from '../../../src/cli/top/render.js';
import { queuesToWatch } from '../../../src/cli/top/sample.js';
import { frameSequence } from '../../../src/cli/top/screen.js';
import { type TopView, toTopView } from '../../../src/cli/top/view.js';

const AT = Date.UTC(2030, 0, 2, 9, 30, 15);

const SUPERVISOR: SupervisorRecord = {
  id: 'gpu-1:4242:a1b2c3',
  hostname: 'gpu-1',
  pid: 4242,
  queues: ['resize', 'thumbs'],
  concurrency: 4,
  health: 'healthy',
  active: 3,
  processes: { ready: 1, busy: 3, starting: 0, recycling: 0, crashed: 0 },
  expiresAt: AT + 13_000,
  lastSeen: AT - 2000,
};

const VIEW: TopView = {
  at: AT,
  prefix: 'drover:',
  intervalMs: 1000,
  rateWindow: 1000,
  filtered: false,
  queues: [
    { queue: 'resize', pending: 120, scheduled: 4, active: 3, dead: 1, completedPerSec: 12.5, failedPerSec: 0, retriedPerSec: 0.5, supervisors: 1 },
    { queue: 'thumbs', pending: 0, scheduled: 0, active: 0, dead: 0, supervisors: 1 },
  ],
  supervisors: [SUPERVISOR, { ...SUPERVISOR, id: 'old-box:7:ffffff', hostname: 'old-box', pid: 7, health: undefined, active: undefined, processes: undefined, queues: ['resize'] }],
};

function stats(queue: string, totals: { completed: number; failed: number; retried: number }, counts: Partial<QueueStats['counts']> = {}): QueueStats {
  return {
    queue,
    counts: { pending: 0, scheduled: 0, active: 0, completed: 0, failed: 0, cancelled: 0, ...counts },
    totals: { ...totals, cancelled: 0, staleReplies: 0 },
    failuresByReason: { error: 0, timeout: 0, handler_crash: 0, lease_lost: 0, load_failed: 0, cancelled: 0 },
    throughput: [{ minute: Math.floor(AT / 60_000) * 60_000, completed: 30, failed: 6 }],
    supervisors: 1,
  };
}

describe('drover top: the frame renderer', () => {
  it('a wide frame: title, every queue column, the rates window, one line per supervisor', () => {
    expect(renderFrame(VIEW, { width: 120, height: 40 })).toEqual([
      'drover top  drover:  every 1s  09:30:15 UTC  (q to quit)',
      '',
      'QUEUE   PENDING  SCHEDULED  ACTIVE  DEAD  DONE/S  FAILED/S  RETRIED/S  SUPERVISORS',
      'resize      120          4       3     1    12.5       0.0        0.5            1',
      'thumbs        0          0       0     0       -         -          -            1',
      'rates per second over the last 1s; DEAD = tasks in the dead set',
      '',
      'Supervisors alive: 2',
      'ID                 HOST      PID  QUEUES         HEALTH   SLOTS  ACTIVE  PROCESSES          SEEN',
      'gpu-1:4242:a1b2c3  gpu-1    4242  resize,thumbs  healthy      4       3  3 busy, 1 ready  2s ago',
      'old-box:7:ffffff   old-box     7  resize         -            4       -  -                2s ago',
    ]);
  });

  it('narrow widths drop the least important columns first and never exceed the width', () => {
    for (const width of [100, 80, 60, 40, 30, 20, 12, 5, 1]) {
      const lines = renderFrame(VIEW, { width, height: 40 });
      for (const line of lines) expect(line.length, `width ${width}: ${line}`).toBeLessThanOrEqual(width);
    }
    const at40 = renderFrame(VIEW, { width: 40, height: 40 });
    const header = at40.find((l) => l.startsWith('QUEUE'))!;
    expect(header.split(/\s+/)).toEqual(['QUEUE', 'PENDING', 'ACTIVE', 'DEAD', 'DONE/S']);
    expect(at40).toContain('resize      120       3     1    12.5');
    const supHeader = at40.find((l) => l.startsWith('ID'))!;
    expect(supHeader.split(/\s+/)).toEqual(['ID', 'HEALTH', 'ACTIVE']);
    // At 20 columns only the columns that always stay are left, cut to the width.
    const at20 = renderFrame(VIEW, { width: 20, height: 40 });
    expect(at20).toContain('QUEUE   PENDING');
    expect(at20).toContain('resize      120');
    expect(at20).toContain('gpu-1:4242:a1b2c3');
    expect(at20[0]).toBe('drover top  drover:…');
  });

  it('a short terminal keeps the top of the frame and says how much is hidden', () => {
    const lines = renderFrame(VIEW, { width: 120, height: 6 });
    expect(lines).toHaveLength(6);
    expect(lines.slice(0, 5)).toEqual(renderFrame(VIEW, { width: 120, height: 40 }).slice(0, 5));
    expect(lines[5]).toBe('… 6 more lines: enlarge the terminal or use -q');
  });

  it('says when there is nothing to show, and shows a failed reading under the title', () => {
    const empty = renderFrame({ ...VIEW, queues: [], supervisors: [], error: 'reading failed: connection refused (retrying)' }, { width: 120, height: 40 });
    expect(empty).toEqual([
      'drover top  drover:  every 1s  09:30:15 UTC  (q to quit)',
      '! reading failed: connection refused (retrying)',
      'No queue: no live supervisor registered; name queues with -q QUEUE.',
      '',
      'Supervisors alive: none',
    ]);
    expect(renderFrame({ ...VIEW, queues: [], filtered: true }, { width: 120, height: 40 })[2]).toBe('No queue to show.');
  });

  it('process counts: non-zero states, busiest first; 0 and - for none and not reported', () => {
    expect(formatProcesses({ starting: 1, ready: 2, busy: 0, crashed: 1, recycling: 0 })).toBe('2 ready, 1 starting, 1 crashed');
    expect(formatProcesses({ ready: 0, busy: 0 })).toBe('0');
    expect(formatProcesses(undefined)).toBe('-');
    expect(formatProcesses({ paused: 1, busy: 2 })).toBe('2 busy, 1 paused');
  });
});

describe('drover top: rates, queue choice, drawing', () => {
  const frame = { prefix: 'p:', intervalMs: 2000, filtered: false };

  it('rates are counter differences per second between two readings; new queues have none', () => {
    const before = { at: AT, queues: [stats('a', { completed: 100, failed: 5, retried: 1 })], supervisors: [] };
    const after = {
      at: AT + 2000,
      queues: [stats('a', { completed: 130, failed: 6, retried: 5 }, { pending: 7, failed: 2 }), stats('b', { completed: 9, failed: 0, retried: 0 })],
      supervisors: [],
    };
    const view = toTopView(after, before, frame);
    expect(view.rateWindow).toBe(2000);
    expect(view.queues).toEqual([
      { queue: 'a', pending: 7, scheduled: 0, active: 0, dead: 2, completedPerSec: 15, failedPerSec: 0.5, retriedPerSec: 2, supervisors: 1 },
      { queue: 'b', pending: 0, scheduled: 0, active: 0, dead: 0, supervisors: 1 },
    ]);
  });

  it('without an earlier reading the rates are the last minute’s; a counter that went back counts 0', () => {
    const only = { at: AT, queues: [stats('a', { completed: 1, failed: 0, retried: 0 })], supervisors: [] };
    const first = toTopView(only, undefined, frame);
    expect(first.rateWindow).toBe('minute');
    expect(first.queues[0]).toMatchObject({ completedPerSec: 0.5, failedPerSec: 0.1 });
    expect(first.queues[0]!.retriedPerSec).toBeUndefined();
    const reset = toTopView({ ...only, at: AT + 1000 }, { ...only, queues: [stats('a', { completed: 50, failed: 0, retried: 0 })] }, frame);
    expect(reset.queues[0]!.completedPerSec).toBe(0);
  });

  it('-q filters; otherwise the queues of live supervisors, sorted, each once', () => {
    const sups = [{ ...SUPERVISOR, queues: ['b', 'a'] }, { ...SUPERVISOR, queues: ['c', 'a'] }];
    expect(queuesToWatch([], sups)).toEqual(['a', 'b', 'c']);
    expect(queuesToWatch(['z', 'a', 'z'], sups)).toEqual(['z', 'a']);
    expect(queuesToWatch([], [])).toEqual([]);
  });

  it('a frame is drawn from the top-left corner, each line erased to its end, the rest of the screen cleared', () => {
    expect(frameSequence(['one', 'two'])).toBe('\x1b[Hone\x1b[K\r\ntwo\x1b[K\x1b[J');
  });

  it('fitTable keeps rank-0 columns even when they overflow, cutting the line', () => {
    const lines = fitTable(
      [
        { header: 'NAME', rank: 0, align: 'left' },
        { header: 'N', rank: 1, align: 'right' },
      ],
      [['a-very-long-name', '1']],
      10,
    );
    expect(lines).toEqual(['NAME', 'a-very-lo…']);
  });
});
