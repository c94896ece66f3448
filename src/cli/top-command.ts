import { InvalidArgumentError, type Command } from 'commander';
import { assertQueueName } from '../queue/redis/keys.js';
import { parseDuration } from './parse-units.js';
import { printText } from './print.js';
import { addRedisFlags, type RedisFlags } from './redis-flags.js';
import { renderFrame } from './top/render.js';
import { type TopSample, takeSample } from './top/sample.js';
import { openScreen } from './top/screen.js';
import { type TopView, toTopView } from './top/view.js';
import { withRedisSession } from './with-session.js';

interface TopFlags extends RedisFlags {
  interval: number;
  queue?: string[];
  once?: boolean;
}

/** @defaultValue 1000 ms between frames */
export const DEFAULT_TOP_INTERVAL_MS = 1000;
const MIN_INTERVAL_MS = 100;
/** Width of frames printed where there is no terminal (piped, --once): no column is dropped. */
const UNBOUNDED = { width: 1000, height: 10_000 };

export function registerTopCommand(program: Command): void {
  const command = program
    .command('top')
    .description('live view of queues (depths, completion and failure rates) and supervisors (health, tasks, processes)')
    .option('--interval <duration>', 'time between frames (default: 1s, at least 100ms)', parseInterval, DEFAULT_TOP_INTERVAL_MS)
    .option('-q, --queue <name>', 'show this queue; repeat for several (default: every queue a live supervisor serves)', collectQueue)
    .option('--once', 'print one frame as plain text and exit (rates: the last minute)')
    .addHelpText(
      'after',
      `
Examples:
  drover top                                   # every queue served by a live supervisor
  drover top -q resize -q thumbs --interval 2s
  drover top --once --prefix staging:          # one plain frame, for scripts and logs

Keys: q or Ctrl-C quits (the terminal is restored). When stdout is not a terminal, frames are
printed one after another as plain text until SIGINT/SIGTERM.
Docs: docs/cli.md`,
    );
  addRedisFlags(command).action(async (flags: TopFlags) => {
    await withRedisSession(flags, (session) => runTop(session.backend, flags));
  });
}

function parseInterval(text: string): number {
  const ms = parseDuration(text);
  if (ms < MIN_INTERVAL_MS) throw new InvalidArgumentError(`expected at least ${MIN_INTERVAL_MS}ms, got "${text}"`);
  return ms;
}

function collectQueue(value: string, previous: string[] = []): string[] {
  try {
    assertQueueName(value);
  } catch (error) {
    throw new InvalidArgumentError(errorMessage(error));
  }
  return [...previous, value];
}

type Backend = Parameters<typeof takeSample>[0];

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function runTop(backend: Backend, flags: TopFlags): Promise<void> {
  const given = flags.queue ?? [];
  const frame = { prefix: backend.prefix, intervalMs: flags.interval, filtered: given.length > 0 };
  if (flags.once === true) {
    const sample = await takeSample(backend, given);
    printText(renderFrame(toTopView(sample, undefined, frame), UNBOUNDED).join('\n'));
    return;
  }
  const live = process.stdout.isTTY === true;
  let stopped = false;
  let wake: () => void = () => undefined;
  const stop = (): void => {
    stopped = true;
    wake();
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, stop);
  // Piped into `head` and the like: the reader went away, which ends the command quietly.
  const onOutputError = (error: NodeJS.ErrnoException): void => {
    if (error.code !== 'EPIPE') throw error;
    stop();
  };
  process.stdout.on('error', onOutputError);
  const screen = live ? openScreen() : undefined;
  let view: TopView | undefined;
  const draw = (): void => {
    if (!view) return;
    if (screen) screen.draw(renderFrame(view, { width: screen.width, height: screen.height }));
    else printText(`${renderFrame(view, UNBOUNDED).join('\n')}\n\n`); // a blank line between frames
  };
  screen?.onKey((key) => {
    if (key === 'q' || key === 'Q' || key === '\x03') stop();
  });
  screen?.onResize(draw);
  try {
    let previous: TopSample | undefined;
    while (!stopped) {
      try {
        const sample = await takeSample(backend, given);
        view = toTopView(sample, previous, frame);
        previous = sample;
      } catch (error) {
        // Keep showing the last reading; the next tick tries again.
        view = view ? { ...view, error: `reading failed: ${errorMessage(error)} (retrying)` } : undefined;
        if (!view) throw error;
      }
      if (stopped) break;
      draw();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, flags.interval);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    for (const s of signals) process.off(s, stop);
    process.stdout.off('error', onOutputError);
    screen?.restore();
  }
}
