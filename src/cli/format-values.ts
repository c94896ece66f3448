/** Small formatters shared by the inspection commands' human-readable output. */

/** Epoch ms -> ISO 8601 (UTC); '-' when unset. */
export function formatTime(ms: number | undefined): string {
  return ms === undefined ? '-' : new Date(ms).toISOString();
}

/** How long ago `ms` was, relative to `now` ("4s ago", "3m ago", "in 2s" for a future time). */
export function formatAgo(ms: number, now: number = Date.now()): string {
  const diff = now - ms;
  const abs = Math.abs(diff);
  const text = abs < 1000 ? `${abs}ms` : abs < 60_000 ? `${Math.round(abs / 1000)}s` : abs < 3_600_000 ? `${Math.round(abs / 60_000)}m` : `${Math.round(abs / 3_600_000)}h`;
  return diff >= 0 ? `${text} ago` : `in ${text}`;
}

/** Compact JSON of any value ('undefined' stays visible rather than vanishing). */
export function compactJson(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/** One line, at most `max` characters (newlines folded, an ellipsis when cut). */
export function truncate(text: string, max: number): string {
  const flat = text.replace(/\s*\n\s*/g, ' ');
  return flat.length <= max ? flat : `${flat.slice(0, Math.max(0, max - 1))}…`;
}
