import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, isReply, killLeftovers, READY_1, ROOT, startHandler, type Message } from './harness.js';

beforeAll(assertBuilt);
afterEach(killLeftovers);

const EXAMPLE = path.join(ROOT, 'examples/node-handler');

describe('examples/node-handler', () => {
  it.each([true, false])('answers every line of inputs.ndjson over the protocol (fd3=%s)', async (fd3) => {
    const inputs = readFileSync(path.join(EXAMPLE, 'inputs.ndjson'), 'utf8').trim().split('\n');
    const h = startHandler('../../../examples/node-handler/handler.mjs', { fd3 });
    h.send(inputs.join('\n'));
    h.end();
    expect(await h.exited).toEqual({ code: 0, signal: null });
    expect(h.garbage).toEqual([]);
    expect(h.messages[0]).toEqual(READY_1);
    const ids = inputs.map((line) => (JSON.parse(line) as { task_id: string }).task_id);
    expect(h.messages.filter((m) => 'result' in m).map((m) => m.task_id)).toEqual(ids);
    const result = (id: string) => h.messages.find(isReply(id))?.result as Message;
    expect(result('t1')).toEqual({
      words: 6,
      sentences: 2,
      paragraphs: 1,
      readingTimeSeconds: 2,
      readingEase: 105.1,
      keywords: [
        { word: 'queues', count: 2 },
        { word: 'great', count: 1 },
        { word: 'love', count: 1 },
        { word: 'workers', count: 1 },
      ],
    });
    // Stopwords from the load phase are excluded; `top` limits the list.
    expect(result('t2').keywords).toEqual([
      { word: 'cat', count: 2 },
      { word: 'happy', count: 1 },
    ]);
    expect(h.messages.filter((m) => m.type === 'progress' && m.task_id === 't3').map((m) => m.progress)).toEqual([0.5, 1]);
    expect(result('t4')).toMatchObject({ words: 0, readingEase: null, keywords: [] });
    expect(h.messages.find(isReply('t10'))).toMatchObject({
      result: null,
      error: { type: 'TypeError', message: 'payload.text must be a string' },
      retry: false,
    });
    expect(h.stderr()).toContain('loaded 126 stopwords');
  }, 10_000);
});
