/** A one-line progress bar with rate and ETA, redrawn in place on a TTY (stderr). */
export interface ProgressCounts {
  done: number;
  failed: number;
  total: number | undefined;
}

export function formatProgress(counts: ProgressCounts, elapsedMs: number, width = 30): string {
  const { done, failed, total } = counts;
  const rate = elapsedMs > 0 ? (done / elapsedMs) * 1000 : 0;
  const rateText = `${rate >= 10 ? rate.toFixed(0) : rate.toFixed(1)}/s`;
  const failText = failed > 0 ? ` ${failed} failed` : '';
  if (total === undefined || total === 0) return `${done} done${failText} ${rateText}`;
  const fraction = Math.min(1, done / total);
  const filled = Math.round(fraction * width);
  const bar = `${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? '>' : ''}${' '.repeat(width - filled)}`;
  const etaText = rate > 0 && done < total ? ` ETA ${formatDuration(((total - done) / rate) * 1000)}` : '';
  return `[${bar}] ${done}/${total} ${Math.floor(fraction * 100)}% ${rateText}${etaText}${failText}`;
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export class ProgressBar {
  readonly #out: NodeJS.WriteStream;
  readonly #startedAt = Date.now();
  #timer: NodeJS.Timeout | undefined;
  #counts: ProgressCounts = { done: 0, failed: 0, total: undefined };
  #drawn = false;

  constructor(out: NodeJS.WriteStream) {
    this.#out = out;
  }

  start(): void {
    this.#timer = setInterval(() => this.draw(), 200);
    this.#timer.unref();
  }

  update(counts: ProgressCounts): void {
    this.#counts = counts;
  }

  draw(): void {
    const text = formatProgress(this.#counts, Date.now() - this.#startedAt);
    this.#out.write(`\r\x1b[2K${text.slice(0, (this.#out.columns || 80) - 1)}`);
    this.#drawn = true;
  }

  /** Erase the bar so a log line can be printed; the next tick redraws it. */
  clear(): void {
    if (this.#drawn) this.#out.write('\r\x1b[2K');
    this.#drawn = false;
  }

  /** Draw the final state once more and leave it on screen above the summary line. */
  stop(): void {
    clearInterval(this.#timer);
    this.draw();
    this.#out.write('\n');
    this.#drawn = false;
  }
}
