/**
 * Keeps user output off the protocol: `process.stdout.write` (and with it console.log, info,
 * debug, dir, table, trace…, which all write through it, and worker threads' stdout, which is
 * forwarded through it) is pointed at stderr, where the supervisor logs it line by line.
 * console.warn and console.error already write to stderr. Installed when the SDK is imported,
 * before any code of a module that imports it runs; child processes are handled by
 * child-output-guard.ts. What still escapes is listed in protocol-channel.ts.
 */

const GUARD_KEY = Symbol.for('drover.handler.outputGuard');

/** Points process.stdout.write at stderr. Idempotent, also across copies of the SDK. */
export function installStdoutGuard(): void {
  const holder = globalThis as { [GUARD_KEY]?: true };
  if (holder[GUARD_KEY]) return;
  holder[GUARD_KEY] = true;
  const stderr = process.stderr;
  const rerouted = function writeToStderr(...args: unknown[]): boolean {
    // Forward every overload (chunk, encoding?, callback?) unchanged.
    return Reflect.apply(stderr.write, stderr, args) !== false;
  };
  process.stdout.write = rerouted as unknown as typeof process.stdout.write;
}
