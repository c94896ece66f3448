/**
 * Child processes: a child spawned with inherited stdout would write straight to fd 1, below any
 * JavaScript guard. The node:child_process functions that can inherit stdout (spawn, spawnSync,
 * fork, execSync, execFileSync) are wrapped so that an inherited stdout (`'inherit'`, `1` or
 * `process.stdout` at stdio[1], the `stdio: 'inherit'` shorthand, and fork's default) becomes the
 * handler's stderr (fd 2). `syncBuiltinESMExports()` makes ESM named imports
 * (`import { spawn } from 'node:child_process'`) see the wrappers too. exec and execFile capture
 * stdout through a pipe and need nothing. A function reference captured before the SDK was
 * imported is not wrapped.
 */
import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';

const GUARD_KEY = Symbol.for('drover.handler.childOutputGuard');

type AnyFunction = (...args: unknown[]) => unknown;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function targetsStdout(entry: unknown): boolean {
  return entry === 'inherit' || entry === 1 || entry === process.stdout;
}

/** stdio with an inherited stdout moved to fd 2; undefined when nothing needs to change. */
function redirectStdio(stdio: unknown, forkDefault: boolean): unknown[] | undefined {
  if (stdio === undefined) return forkDefault ? ['inherit', 2, 'inherit', 'ipc'] : undefined;
  if (stdio === 'inherit') return forkDefault ? ['inherit', 2, 'inherit', 'ipc'] : ['inherit', 2, 'inherit'];
  if (Array.isArray(stdio) && targetsStdout(stdio[1])) {
    const copy: unknown[] = [...stdio];
    copy[1] = 2;
    return copy;
  }
  return undefined;
}

/** Rewrites the options argument (the first plain object after the command) of one call. */
function guardArgs(args: unknown[], isFork: boolean): unknown[] {
  const index = args.findIndex((arg, i) => i > 0 && isRecord(arg));
  const options = index === -1 ? undefined : (args[index] as Record<string, unknown>);
  const forkDefault = isFork && options?.silent !== true;
  const stdio = redirectStdio(options?.stdio, forkDefault);
  if (stdio === undefined) return args;
  const copy = [...args];
  if (index === -1) {
    // fork(modulePath[, args]): append the options object after the last given argument.
    let at = copy.length;
    while (at > 1 && copy[at - 1] === undefined) at -= 1;
    copy.splice(at, copy.length - at, { stdio });
  } else {
    copy[index] = { ...options, stdio };
  }
  return copy;
}

const WRAPPED = ['spawn', 'spawnSync', 'fork', 'execSync', 'execFileSync'] as const;

/** Wraps the child_process functions once per process. */
export function installChildOutputGuard(): void {
  const holder = globalThis as { [GUARD_KEY]?: true };
  if (holder[GUARD_KEY]) return;
  holder[GUARD_KEY] = true;
  for (const name of WRAPPED) {
    const original: unknown = Reflect.get(childProcess, name);
    if (typeof original !== 'function') continue;
    const originalFn = original as AnyFunction;
    const isFork = name === 'fork';
    const wrapped = function (this: unknown, ...args: unknown[]): unknown {
      return Reflect.apply(originalFn, this, guardArgs(args, isFork));
    };
    Object.defineProperty(wrapped, 'name', { value: name });
    Reflect.set(childProcess, name, wrapped);
  }
  syncBuiltinESMExports();
}
