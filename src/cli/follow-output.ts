/**
 * What `drover get --follow` prints for each update of a task: on a terminal a progress line
 * redrawn in place with partial outputs printed above it; otherwise (piped) one plain line per
 * update; with --json one JSON object per update.
 */
import type { TaskUpdate } from '../client/subscription.js';
import type { TaskInfo } from '../queue/redis/task-info.js';
import { compactJson } from './format-values.js';

export type FollowMode = 'live' | 'plain' | 'json';

const BAR_WIDTH = 24;

function percent(fraction: number): string {
  return `${Math.floor(Math.min(1, Math.max(0, fraction)) * 100)}%`.padStart(4);
}

/** `[=========>           ]  40%  message`, cut to `columns - 1` so it never wraps. */
export function formatProgressBar(fraction: number, message: string | undefined, columns: number): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const filled = Math.round(f * BAR_WIDTH);
  const bar = `${'='.repeat(Math.max(0, filled - 1))}${filled > 0 ? (filled === BAR_WIDTH ? '=' : '>') : ''}`.padEnd(BAR_WIDTH);
  const text = `[${bar}] ${percent(f)}${message ? `  ${message}` : ''}`;
  return text.slice(0, Math.max(1, columns - 1));
}

/** The outcome line: `completed  <result JSON>`, `failed  [reason] Type: message`, `cancelled  …`. */
export function formatFinalLine(task: TaskInfo): string {
  if (task.state === 'completed') return `completed  ${compactJson(task.result ?? null)}`;
  const e = task.error;
  const detail = e ? `[${e.reason}] ${e.type ? `${e.type}: ` : ''}${e.message}` : '(no error recorded)';
  return `${task.state}  ${detail}`;
}

/** One plain line per update (no control characters): the piped form. */
export function formatUpdateLine(u: TaskUpdate): string {
  if (u.type === 'progress') return `progress  ${percent(u.progress).trim()}${u.message ? `  ${u.message}` : ''}`;
  if (u.type === 'partial') return `partial  ${compactJson(u.data)}`;
  return formatFinalLine(u.task);
}

export interface FollowPrinter {
  /** Before the first update (terminal only): what the task is doing now. */
  status(text: string): void;
  update(u: TaskUpdate): void;
  /** Leaves the terminal on a fresh line (after the last update, or when interrupted). */
  end(): void;
}

export function createFollowPrinter(mode: FollowMode, out: NodeJS.WriteStream = process.stdout): FollowPrinter {
  if (mode === 'json') {
    return { status: () => undefined, update: (u) => void out.write(`${JSON.stringify(u)}\n`), end: () => undefined };
  }
  if (mode === 'plain') {
    return { status: () => undefined, update: (u) => void out.write(`${formatUpdateLine(u)}\n`), end: () => undefined };
  }
  // live: the last line of the terminal is the status line, redrawn with \r + erase-line.
  let line: string | undefined;
  const columns = (): number => out.columns || 80;
  const draw = (): void => {
    if (line !== undefined) out.write(`\r\x1b[2K${line.slice(0, columns() - 1)}`);
  };
  const clear = (): void => {
    if (line !== undefined) out.write('\r\x1b[2K');
  };
  return {
    status(text) {
      line = text;
      draw();
    },
    update(u) {
      if (u.type === 'progress') {
        line = formatProgressBar(u.progress, u.message, columns());
        draw();
        return;
      }
      clear();
      if (u.type === 'final') {
        // The last progress bar stays on screen above the outcome.
        if (line !== undefined && line.startsWith('[')) out.write(`${line}\n`);
        line = undefined;
        out.write(`${formatFinalLine(u.task)}\n`);
        return;
      }
      out.write(`${formatUpdateLine(u)}\n`);
      draw();
    },
    end() {
      if (line !== undefined) out.write('\n');
      line = undefined;
    },
  };
}
