/** Options of run() and runOnce(). */

export interface RunOnceOptions {
  /**
   * Longest line read or written, in bytes. A longer task line fails that task with a
   * LineTooLongError reply (when its task_id can be read from its start) and is skipped; a
   * reply that would be longer is replaced by a LineTooLongError reply.
   * @defaultValue 67108864 (64 MiB, the supervisor's default)
   */
  maxLineBytes?: number;
}

export interface RunOptions extends RunOnceOptions {
  /**
   * Tasks this process runs at once; sent as `"concurrency"` in the ready line so the
   * supervisor sends up to that many before the first is answered. With 1, tasks run strictly
   * one after the other, in arrival order. For a batched task function it is how many tasks
   * may wait or run in the process (2 × batch gathers the next batch while one runs).
   * @defaultValue 1, or the batch size of a batched task function
   */
  concurrency?: number;
}

export const DEFAULT_RUN_OPTIONS: Readonly<Required<RunOptions>> = Object.freeze({
  concurrency: 1,
  maxLineBytes: 64 * 1024 * 1024,
});

function positiveInteger(fn: string, name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
    throw new TypeError(`${fn}: option "${name}" must be a positive integer, got ${shown}`);
  }
  return value;
}

/** Fills defaults; throws a TypeError naming the option and the bad value. */
export function normalizeRunOptions(options: RunOptions | undefined, fn = 'run()'): Required<RunOptions> {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new TypeError(`${fn}: options must be an object, got ${options === null ? 'null' : typeof options}`);
  }
  return {
    concurrency: positiveInteger(fn, 'concurrency', options?.concurrency, DEFAULT_RUN_OPTIONS.concurrency),
    maxLineBytes: positiveInteger(fn, 'maxLineBytes', options?.maxLineBytes, DEFAULT_RUN_OPTIONS.maxLineBytes),
  };
}
