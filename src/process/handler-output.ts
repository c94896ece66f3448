import type { Readable } from 'node:stream';
import { LineSplitter } from '../protocol/line-splitter.js';
import { parseHandlerLine, type HandlerLine } from '../protocol/parse-handler-line.js';

export interface HandlerOutputHandlers {
  /** A line from stdout or the protocol pipe, classified. */
  onLine(line: HandlerLine): void;
  /** A protocol line over the maximum size. */
  onOverflow(bytes: number): void;
  /** An over-long stdout line after the handler switched to the protocol pipe: just output. */
  onStrayOverflow(bytes: number): void;
  onStderrLine(text: string): void;
  onStderrOverflow(bytes: number): void;
}

export interface HandlerStreams {
  stdout: Readable;
  /** The protocol pipe (DROVER_PROTOCOL_FD). */
  fd3: Readable;
  stderr: Readable;
}

function pipeInto(stream: Readable, splitter: LineSplitter): void {
  stream.on('data', (chunk: Buffer) => splitter.push(chunk));
  stream.on('end', () => splitter.end());
  stream.on('error', () => {}); // the exit handler reports what went wrong
}

/**
 * Read a handler's three output streams as lines. Protocol messages are accepted on stdout
 * and on the protocol pipe; once one arrives on the pipe, stdout is only ever the handler's
 * own prints, and a reply-shaped line there (a raw write to fd 1) is not taken as a reply.
 */
export function readHandlerOutput(streams: HandlerStreams, maxLineBytes: number, on: HandlerOutputHandlers): void {
  let usesProtocolFd = false;
  const protocol = (channel: 'stdout' | 'fd3'): LineSplitter =>
    new LineSplitter(maxLineBytes, {
      onLine: (text) => {
        const line = parseHandlerLine(text);
        if (channel === 'fd3' && line.kind !== 'stray') usesProtocolFd = true;
        if (channel === 'stdout' && usesProtocolFd && line.kind !== 'stray') {
          on.onLine({ kind: 'stray', text, why: 'protocol-shaped line on stdout while the handler uses the protocol pipe' });
          return;
        }
        on.onLine(line);
      },
      onOverflow: (bytes) => (channel === 'stdout' && usesProtocolFd ? on.onStrayOverflow(bytes) : on.onOverflow(bytes)),
    });
  pipeInto(streams.stdout, protocol('stdout'));
  pipeInto(streams.fd3, protocol('fd3'));
  pipeInto(streams.stderr, new LineSplitter(maxLineBytes, { onLine: on.onStderrLine, onOverflow: on.onStderrOverflow }));
}
