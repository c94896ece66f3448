import { describe, expect, it } from 'vitest';
import { RearmHold } from '../../../src/supervisor/rearm-hold.js';

describe('RearmHold: the inbox wait after a hand-off', () => {
  it('is due once per hand-off, and only while the handed task is the one held', () => {
    const h = new RearmHold();
    expect(h.due(1)).toBe(false); // no hand-off yet
    h.handedOver();
    expect(h.due(1)).toBe(true);
    expect(h.due(1)).toBe(false); // used up
    h.handedOver();
    expect(h.due(3)).toBe(false); // a burst: take the next hand-off at once
    expect(h.due(1)).toBe(false); // and that hand-off is not held later either
  });

  it('ends when the outcome is written, not before', async () => {
    const h = new RearmHold(60_000);
    const { done } = h.hold();
    let ended = false;
    void done.then(() => (ended = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(ended).toBe(false);
    h.release();
    await done;
    expect(ended).toBe(true);
    h.release(); // a release with no hold is a no-op
  });

  it('ends by itself after holdMs, and by its own release function (a nudge)', async () => {
    const timed = new RearmHold(5);
    await timed.hold().done; // would time the test out if the cap did not end it
    const nudged = new RearmHold(60_000);
    const { done, release } = nudged.hold();
    release();
    await done;
    nudged.release(); // the hold already ended: nothing left to release
  });
});
