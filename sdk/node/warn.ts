/**
 * Diagnostics of the SDK itself. They go to stderr (the supervisor captures stderr line by line
 * into its log), never to the protocol channel.
 */

/** Written before every SDK diagnostic so it can be told apart from user output. */
export const WARNING_PREFIX = 'drover-handler: warning:';

// Captured at import, before the output guard points process.stdout.write at stderr, so SDK
// warnings keep working even if user code replaces process.stderr.write later.
const stderrWrite = process.stderr.write.bind(process.stderr);

/** Writes one warning line to stderr. */
export function warn(message: string): void {
  stderrWrite(`${WARNING_PREFIX} ${message}\n`);
}

/** Writes one raw line (for example a stack trace) to stderr. */
export function writeStderr(text: string): void {
  stderrWrite(text.endsWith('\n') ? text : `${text}\n`);
}
