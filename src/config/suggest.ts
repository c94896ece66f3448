/** "did you mean" for a misspelt key: the closest known key by edit distance, if close enough. */

/** Levenshtein distance, case-insensitive (so `loadtimeout` finds `loadTimeout`). */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  let previous = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i += 1) {
    const row = [i];
    for (let j = 1; j <= t.length; j += 1) {
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[t.length]!;
}

/** The known key nearest to `key`, when at most a third of its letters (and at least 2) differ. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const normalized = key.replace(/[-_]/g, '');
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    // kebab-case and snake_case spellings of a camelCase key are one edit away from nothing.
    const d = Math.min(editDistance(key, candidate), editDistance(normalized, candidate));
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}
