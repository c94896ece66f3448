import { pino, type DestinationStream, type Logger } from 'pino';
import { isColorSupported, prettyFactory } from 'pino-pretty';

/** `json`: one pino object a line (for log shippers); `pretty`: human lines from pino-pretty. */
export type LogFormat = 'json' | 'pretty';

export interface CliLoggerOptions {
  /** pino level. @defaultValue 'info' */
  level?: string;
  /** @defaultValue 'pretty' when stderr is a TTY, else 'json' */
  format?: LogFormat;
  /** Called before each line is written (the progress bar clears itself). */
  beforeWrite?: () => void;
  /** Where lines go. @defaultValue process.stderr */
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
}


/** Fields pretty lines show in the message prefix instead of as key=value. */
const SHOWN_IN_PREFIX = ['handler', 'proc', 'task', 'stderr', 'stdout', 'handlerPid'];

/** "[inference p1 task=7] message": handler output reads as its own line, tagged with handler, process and task. */
function messageFormat(log: Record<string, unknown>, messageKey: string): string {
  const where = [log.handler, log.proc, log.task === undefined ? undefined : `task=${String(log.task)}`].filter(Boolean).join(' ');
  const text = typeof log.stderr === 'string' ? log.stderr : typeof log.stdout === 'string' ? `stdout: ${log.stdout}` : String(log[messageKey] ?? '');
  return `${where ? `[${where}] ` : ''}${text}`;
}

/**
 * The CLI's logger on stderr: JSON lines, or pino-pretty lines on a terminal. Pretty output is
 * formatted in this thread and written synchronously (pino-pretty's prettyFactory, not its
 * worker-thread transport), so the last lines before an exit are never lost.
 */
export function createCliLogger(options: CliLoggerOptions = {}): Logger {
  const stream = options.stream ?? process.stderr;
  const tty = (stream as { isTTY?: boolean }).isTTY === true;
  const format = options.format ?? (tty ? 'pretty' : 'json');
  const prettify =
    format === 'pretty'
      ? prettyFactory({
          colorize: tty && isColorSupported,
          translateTime: 'SYS:HH:MM:ss.l',
          ignore: ['pid', 'hostname', 'supervisor', ...SHOWN_IN_PREFIX].join(','),
          singleLine: true,
          errorLikeObjectKeys: ['err'], // drover logs `error` as a message string: keep it on the line
          messageFormat,
        })
      : undefined;
  const destination: DestinationStream = {
    write(line: string) {
      options.beforeWrite?.();
      stream.write(prettify ? prettify(line) : line);
    },
  };
  return pino({ level: options.level ?? 'info', base: { pid: process.pid } }, destination);
}
