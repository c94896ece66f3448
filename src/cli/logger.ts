import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';

export interface CliLoggerOptions {
  /** pino level. @defaultValue 'info' */
  level?: string;
  /** Human-readable lines instead of JSON (default: when stderr is a TTY). */
  pretty?: boolean;
  /** Called before each line is written (the progress bar clears itself). */
  beforeWrite?: () => void;
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'proc', 'task', 'stderr', 'stdout', 'handlerPid']);

/** One pino record as a short human line: "12:00:01 INFO  [p1 task=7] message key=value". */
export function formatRecord(record: Record<string, unknown>): string {
  const time = new Date(Number(record.time)).toISOString().slice(11, 19);
  const level = (LEVELS[Number(record.level)] ?? 'LOG').padEnd(5);
  const where = [record.proc, record.task === undefined ? undefined : `task=${String(record.task)}`].filter(Boolean).join(' ');
  const text = typeof record.stderr === 'string' ? record.stderr : typeof record.stdout === 'string' ? `stdout: ${record.stdout}` : String(record.msg ?? '');
  const extra = Object.entries(record)
    .filter(([k]) => !HIDDEN.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${time} ${level} ${where ? `[${where}] ` : ''}${text}${extra ? ` ${extra}` : ''}\n`;
}

/** The CLI's logger: JSON lines on stderr (for log shippers), or human lines on a terminal. */
export function createCliLogger(options: CliLoggerOptions = {}): Logger {
  const pretty = options.pretty ?? process.stderr.isTTY === true;
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      options.beforeWrite?.();
      if (!pretty) {
        process.stderr.write(chunk, () => done());
        return;
      }
      const lines = chunk.toString('utf8').split('\n').filter(Boolean);
      process.stderr.write(lines.map((l) => formatRecord(JSON.parse(l) as Record<string, unknown>)).join(''), () => done());
    },
  });
  return pino({ level: options.level ?? 'info', base: { pid: process.pid } }, out);
}
