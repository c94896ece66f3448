import type { Readable } from 'node:stream';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, isReply, killLeftovers, READY_1, startHandler } from './harness.js';

beforeAll(assertBuilt);
afterEach(killLeftovers);

/** What noisy.mjs prints through JavaScript and child processes; all of it must reach stderr. */
const GUARDED_MARKERS = [
  'noise:top-log',
  'noise:top-write',
  'noise:load-info',
  'noise:log',
  'noise:info',
  'noise:debug',
  'noise:warn',
  'noise:table',
  'noise:buffer-write',
  'noise:child-echo',
  'noise:child-sh',
  'noise:child-fd1',
  'noise:child-stream',
  'noise:child-sync',
  'noise:child-execsync',
  'noise:fork-child',
  'noise:worker-thread',
  'spoofed-by-fork',
  '"result":"spoofed"',
];

const OK_REPLY = { task_id: 't1', result: { ok: true, env: null }, error: null, retry: false };

describe('Node SDK keeps user output off the protocol', () => {
  it('with DROVER_PROTOCOL_FD=3: fd 3 carries only protocol lines, even against raw fd 1 writes', async () => {
    const h = startHandler('noisy.mjs', { fd3: true });
    h.send({ task_id: 't1', payload: { rawFd1: true } });
    h.end();
    expect(await h.exited).toEqual({ code: 0, signal: null });
    expect(h.garbage).toEqual([]);
    expect(h.messages).toEqual([READY_1, OK_REPLY]);
    for (const marker of GUARDED_MARKERS) expect(h.stderr()).toContain(marker);
    expect(h.stderr()).toContain('env:unset');
    // Only the writes below JavaScript reach fd 1; the supervisor logs them as stray output.
    expect(h.stdout()).toBe(`noise:raw-fd1\n${JSON.stringify({ task_id: 't1', result: 'spoofed', error: null, retry: false })}\n`);
  }, 10_000);

  it('without fd 3: stdout carries only protocol lines; prints and children go to stderr', async () => {
    const h = startHandler('noisy.mjs', { fd3: false });
    h.send({ task_id: 't1', payload: {} });
    h.end();
    expect(await h.exited).toEqual({ code: 0, signal: null });
    expect(h.garbage).toEqual([]);
    expect(h.messages).toEqual([READY_1, OK_REPLY]);
    for (const marker of GUARDED_MARKERS) expect(h.stderr()).toContain(marker);
  }, 10_000);

  it.each([true, false])('never interleaves lines of concurrent tasks under backpressure (fd3=%s)', async (fd3) => {
    const h = startHandler('ops.mjs', { fd3, args: ['4'] });
    const ids = ['a', 'b', 'c', 'd'];
    const count = 150;
    const size = 8 * 1024; // 4 x 150 x 8 KiB ≈ 5 MiB, far beyond a pipe buffer
    // Stop reading the protocol for a while so the handler's writes hit a full pipe.
    const protocol = (fd3 ? h.child.stdio[3] : h.child.stdout) as Readable | null;
    protocol?.pause();
    setTimeout(() => protocol?.resume(), 300);
    h.send(ids.map((id) => JSON.stringify({ task_id: id, payload: { op: 'flood', count, size, char: id } })).join('\n'));
    h.end();
    expect(await h.exited).toEqual({ code: 0, signal: null });
    expect(h.garbage).toEqual([]);
    for (const id of ids) {
      const partials = h.messages.filter((m) => m.type === 'partial' && m.task_id === id);
      expect(partials.map((m) => (m.data as { i: number }).i)).toEqual([...Array(count).keys()]);
      for (const m of partials) expect((m.data as { fill: string }).fill).toBe(id.repeat(size));
      const reply = h.messages.findIndex(isReply(id));
      expect(h.messages[reply]).toMatchObject({ result: { count } });
      expect(h.messages.findLastIndex((m) => m.task_id === id)).toBe(reply);
    }
    expect(h.stderr()).toContain(`noise d ${count - 1}`);
  }, 15_000);
});
