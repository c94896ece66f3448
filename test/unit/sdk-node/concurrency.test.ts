import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, isProgress, isReply, killLeftovers, startHandler, type Message } from './harness.js';

beforeAll(assertBuilt);
afterEach(killLeftovers);

const batch = (ids: string[], payload: (i: number) => Message) =>
  ids.map((id, i) => JSON.stringify({ task_id: id, payload: payload(i) })).join('\n');

describe('Node SDK concurrency', () => {
  it('runs N tasks at once when run({ concurrency: N }) (each waits until all have started)', async () => {
    const h = startHandler('ops.mjs', { args: ['3'] });
    const ids = ['a', 'b', 'c'];
    h.send(batch(ids, () => ({ op: 'barrier', n: 3 })));
    const replies = await Promise.all(ids.map((id) => h.waitFor(isReply(id))));
    expect(h.messages[0]).toEqual({ status: 'ready', protocol: 1, concurrency: 3 });
    for (const reply of replies) expect(reply).toMatchObject({ result: { sawAll: true, peak: 3 }, error: null });
    // Every task reported "started" before any of them replied.
    const firstReply = h.messages.findIndex((m) => 'result' in m);
    const lastStart = Math.max(...ids.map((id) => h.messages.findIndex(isProgress(id, 'started'))));
    expect(lastStart).toBeGreaterThan(0);
    expect(lastStart).toBeLessThan(firstReply);
  }, 10_000);

  it('never runs more than N at once, even when more arrive together', async () => {
    const h = startHandler('ops.mjs', { args: ['2'] });
    const ids = ['t1', 't2', 't3', 't4', 't5'];
    h.send(batch(ids, () => ({ op: 'barrier', n: 2 })));
    h.end();
    expect(await h.exited).toEqual({ code: 0, signal: null });
    const replies = ids.map((id) => h.messages.find(isReply(id)));
    for (const reply of replies) expect(reply).toMatchObject({ result: { sawAll: true, peak: 2 } });
  }, 10_000);

  it('with concurrency 1 runs tasks strictly one after the other, in arrival order', async () => {
    const h = startHandler('ops.mjs');
    const ids = ['t1', 't2', 't3', 't4', 't5'];
    // Later tasks are quicker: any overlap would reorder the log and the replies.
    h.send(batch(ids, (i) => ({ op: 'ordered', delay: (ids.length - i) * 8 })));
    h.end();
    expect(await h.exited).toEqual({ code: 0, signal: null });
    const replies = h.messages.filter((m) => 'result' in m);
    expect(replies.map((m) => m.task_id)).toEqual(ids);
    expect(replies[4]?.result).toEqual({ log: ids.flatMap((id) => [`start:${id}`, `end:${id}`]) });
  }, 10_000);
});
