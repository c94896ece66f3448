/**
 * Where protocol lines go.
 *
 * With `DROVER_PROTOCOL_FD=N` in the environment (drover's supervisor sets `3` and spawns the
 * handler with stdio `[pipe, pipe, pipe, pipe]`) every protocol line is written to fd N, a pipe
 * that only this SDK writes to. Nothing else a process does to fd 1 (console.log,
 * process.stdout.write, fs.writeSync(1, …), native code, any child process) can then reach the
 * protocol. The variable is removed from process.env at import so child processes, including
 * nested drover handlers, do not write to the same pipe.
 *
 * Without the variable (a user piping by hand, another supervisor such as runqy-worker) replies
 * go to the real stdout through `process.stdout.write` saved before the output guard
 * (output-guard.ts) points it at stderr. Remaining gap in that mode: bytes written to fd 1 below
 * JavaScript — fs.writeSync(1, …), native addons, a child process started through a
 * child_process function captured before this SDK was imported, or one started with an explicit
 * fd 1 — still land between the protocol lines. A supervisor that, like drover's, logs
 * non-protocol lines and carries on is not broken by them, but such a line could in principle
 * spoof a reply: offer DROVER_PROTOCOL_FD when you control the spawn.
 */
import { fstatSync, createWriteStream } from 'node:fs';
import { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { createLineWriter, type LineSink, type LineWriter } from './line-writer.js';
import { warn, writeStderr } from './warn.js';

/** Environment variable naming the protocol fd. */
export const PROTOCOL_FD_ENV = 'DROVER_PROTOCOL_FD';

export interface ProtocolChannel extends LineWriter {
  /** `'fd'`: the dedicated pipe of DROVER_PROTOCOL_FD; `'stdout'`: the real stdout. */
  readonly kind: 'fd' | 'stdout';
  readonly fd: number;
}

const CHANNEL_KEY = Symbol.for('drover.handler.protocolChannel');

function brokenChannel(error: Error): void {
  // Nobody reads our replies any more (the supervisor died or closed the pipe): stop.
  writeStderr(`drover-handler: protocol channel failed (${error.message}); exiting`);
  process.exit(1);
}

/**
 * Opens fd N for writing: a pipe or socket through net.Socket (non-blocking, with 'drain'), a
 * file or terminal through fs. Anything else is refused: when the parent did not pass fd N,
 * the number may belong to Node's own epoll or eventfd descriptors.
 */
function openFdStream(fd: number): Writable {
  const stat = fstatSync(fd); // throws EBADF when the fd is not open
  if (stat.isFIFO() || stat.isSocket()) return new Socket({ fd, readable: false, writable: true });
  if (stat.isFile() || stat.isCharacterDevice()) return createWriteStream('', { fd, autoClose: false });
  throw new Error('not a pipe, socket, file or terminal');
}

function parseFd(raw: string): number | undefined {
  const fd = Number(raw);
  return /^\d+$/.test(raw.trim()) && Number.isSafeInteger(fd) && fd > 2 ? fd : undefined;
}

function stdoutChannel(): ProtocolChannel {
  const stdout = process.stdout;
  const originalWrite = stdout.write.bind(stdout);
  const sink: LineSink = {
    write: (chunk, callback) => originalWrite(chunk, callback),
    once: (event, listener) => stdout.once(event, listener),
    on: (event, listener) => stdout.on(event, listener),
  };
  return { kind: 'stdout', fd: 1, ...createLineWriter(sink, brokenChannel) };
}

function createChannel(): ProtocolChannel {
  const raw = process.env[PROTOCOL_FD_ENV];
  delete process.env[PROTOCOL_FD_ENV];
  if (raw === undefined || raw.trim() === '') return stdoutChannel();
  const fd = parseFd(raw);
  if (fd === undefined) {
    warn(`${PROTOCOL_FD_ENV}=${JSON.stringify(raw)} is not an fd number above 2; writing the protocol to stdout`);
    return stdoutChannel();
  }
  let stream: Writable;
  try {
    stream = openFdStream(fd);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    warn(`${PROTOCOL_FD_ENV}=${fd} cannot be opened (${reason}); writing the protocol to stdout`);
    return stdoutChannel();
  }
  const sink: LineSink = {
    write: (chunk, callback) => stream.write(chunk, callback),
    once: (event, listener) => stream.once(event, listener),
    on: (event, listener) => stream.on(event, listener),
  };
  return { kind: 'fd', fd, ...createLineWriter(sink, brokenChannel) };
}

/**
 * The process-wide protocol channel, created on first call. Must first be called before
 * installOutputGuards() so the stdout channel keeps the real `process.stdout.write`. Shared
 * through a global symbol so two copies of the SDK in one process use one channel.
 */
export function protocolChannel(): ProtocolChannel {
  const holder = globalThis as { [CHANNEL_KEY]?: ProtocolChannel };
  holder[CHANNEL_KEY] ??= createChannel();
  return holder[CHANNEL_KEY];
}
