#!/usr/bin/env node
// Text statistics as a drover handler: word and sentence counts, reading time, a Flesch
// reading-ease score and the top keywords (stopwords excluded).
//
//   echo '{"task_id":"t1","payload":{"text":"Queues are great. Workers love queues."}}' \
//     | node examples/node-handler/handler.mjs
//
// Payload: { "text": string, "top"?: number (keywords to return, default 5) }.
import { readFile } from 'node:fs/promises';
import { task, load, run, progress } from 'drover/handler';

const WORDS_PER_MINUTE = 230;

// Load phase: runs once, before the ready line; what it returns is every task's ctx.
load(async () => {
  const text = await readFile(new URL('./stopwords.txt', import.meta.url), 'utf8');
  const stopwords = new Set(
    text
      .split('\n')
      .filter((line) => !line.startsWith('#'))
      .flatMap((line) => line.split(/\s+/))
      .filter(Boolean),
  );
  console.log(`loaded ${stopwords.size} stopwords`); // goes to stderr, never to the protocol
  return { stopwords };
});

/** Rough English syllable count: vowel groups, minus a silent final "e". */
function syllables(word) {
  const groups = word.toLowerCase().replace(/e$/, '').match(/[aeiouy]+/g);
  return Math.max(1, groups ? groups.length : 0);
}

function round(value, digits = 1) {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

task(async (payload, { stopwords }) => {
  if (typeof payload?.text !== 'string') throw new TypeError('payload.text must be a string');
  const top = Number.isInteger(payload.top) && payload.top > 0 ? payload.top : 5;
  const paragraphs = payload.text.split(/\n\s*\n/).filter((p) => p.trim() !== '');
  const counts = new Map();
  let words = 0;
  let sentences = 0;
  let syllableCount = 0;
  for (const [index, paragraph] of paragraphs.entries()) {
    const tokens = paragraph.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? [];
    words += tokens.length;
    sentences += Math.max(1, (paragraph.match(/[.!?]+(\s|$)/g) ?? []).length);
    for (const token of tokens) {
      syllableCount += syllables(token);
      const word = token.replace(/'s$/, '');
      if (!stopwords.has(word) && !/^\d+$/.test(word)) counts.set(word, (counts.get(word) ?? 0) + 1);
    }
    if (paragraphs.length > 1) await progress((index + 1) / paragraphs.length, `paragraph ${index + 1}`);
  }
  const keywords = [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, top)
    .map(([word, count]) => ({ word, count }));
  const readingEase = words === 0 ? null : round(206.835 - 1.015 * (words / sentences) - 84.6 * (syllableCount / words));
  return {
    words,
    sentences: words === 0 ? 0 : sentences,
    paragraphs: paragraphs.length,
    readingTimeSeconds: Math.ceil((words / WORDS_PER_MINUTE) * 60),
    readingEase,
    keywords,
  };
});

run();
