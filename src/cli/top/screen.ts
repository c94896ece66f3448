/**
 * The terminal `drover top` draws on: the alternate screen with the cursor hidden, each frame
 * redrawn in place from the top-left corner; keys read in raw mode. restore() puts the terminal
 * back (main screen, cursor, cooked mode) and is safe to call more than once, including from
 * an 'exit' handler when something went wrong.
 */

export const ENTER_ALT_SCREEN = '\x1b[?1049h';
export const LEAVE_ALT_SCREEN = '\x1b[?1049l';
const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';
const HOME = '\x1b[H';
const ERASE_LINE_END = '\x1b[K';
const ERASE_BELOW = '\x1b[J';

export interface Screen {
  readonly width: number;
  readonly height: number;
  draw(lines: readonly string[]): void;
  /** Called for each key: 'q' or Ctrl-C ('\x03') in raw mode. */
  onKey(handler: (key: string) => void): void;
  onResize(handler: () => void): void;
  restore(): void;
}

/** The escape sequences that draw `lines` over the previous frame (no scrolling, no flicker). */
export function frameSequence(lines: readonly string[]): string {
  return `${HOME}${lines.map((l) => `${l}${ERASE_LINE_END}`).join('\r\n')}${ERASE_BELOW}`;
}

export function openScreen(out: NodeJS.WriteStream = process.stdout, input: NodeJS.ReadStream = process.stdin): Screen {
  let restored = false;
  const raw = input.isTTY === true;
  const keyHandlers: ((key: string) => void)[] = [];
  const resizeHandlers: (() => void)[] = [];
  const onData = (data: Buffer): void => {
    for (const key of data.toString('utf8')) for (const h of keyHandlers) h(key);
  };
  const restore = (): void => {
    if (restored) return;
    restored = true;
    out.write(`${SHOW_CURSOR}${LEAVE_ALT_SCREEN}`);
    if (raw) {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
    }
    for (const h of resizeHandlers) out.off('resize', h);
    process.off('exit', restore);
  };
  // Whatever ends the process, the terminal is not left on the alternate screen.
  process.on('exit', restore);
  out.write(`${ENTER_ALT_SCREEN}${HIDE_CURSOR}`);
  if (raw) {
    input.setRawMode(true);
    input.on('data', onData);
    input.resume();
  }
  return {
    get width() {
      return out.columns || 80;
    },
    get height() {
      return out.rows || 24;
    },
    draw(lines) {
      if (!restored) out.write(frameSequence(lines));
    },
    onKey(handler) {
      keyHandlers.push(handler);
    },
    onResize(handler) {
      resizeHandlers.push(handler);
      out.on('resize', handler);
    },
    restore,
  };
}
