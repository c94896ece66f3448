import { InvalidArgumentError } from 'commander';

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };

/** "500ms", "30s", "5m", "2h"; a bare number is seconds. Returns milliseconds. */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(text);
  if (!m) throw new InvalidArgumentError(`expected a duration such as 500ms, 30s, 5m or 2h, got "${text}"`);
  return Math.round(Number(m[1]) * DURATION_UNITS[(m[2] ?? 's').toLowerCase()]!);
}

/** "512M", "2G", "64MiB", "1048576". Returns bytes. */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new InvalidArgumentError(`expected a size such as 512M, 2G or 1048576, got "${text}"`);
  return Math.round(Number(m[1]) * unit);
}

export function parseCount(text: string): number {
  if (!/^\s*\d+\s*$/.test(text)) throw new InvalidArgumentError(`expected a whole number, got "${text}"`);
  return Number(text);
}

/** --pipeline: a whole number, or "auto". */
export function parseCountOrAuto(text: string): number | 'auto' {
  if (text.trim() === 'auto') return 'auto';
  if (!/^\s*\d+\s*$/.test(text)) throw new InvalidArgumentError(`expected a whole number or "auto", got "${text}"`);
  return Number(text);
}

export function parsePositive(text: string): number {
  const n = parseCount(text);
  if (n < 1) throw new InvalidArgumentError(`expected a number >= 1, got "${text}"`);
  return n;
}
