import { existsSync } from 'node:fs';
import { execa, type ResultPromise } from 'execa';
import { handlerEnv } from './handler-env.js';

export interface HandlerCommand {
  command: string;
  args: readonly string[];
  cwd?: string;
  env?: Record<string, string>;
}

export type SpawnedHandler = ResultPromise<{
  stdio: ['pipe', 'pipe', 'pipe', 'pipe'];
  buffer: false;
  reject: false;
  detached: true;
}>;

const SETPRIV = '/usr/bin/setpriv';
const canSetPdeathsig = process.platform === 'linux' && existsSync(SETPRIV);

/**
 * Start one handler process: stdin for tasks, stdout and fd 3 (the dedicated protocol pipe,
 * named in DROVER_PROTOCOL_FD) for replies, stderr for logs. It gets its own process group,
 * and with `parentDeathSignal` (on Linux) a SIGKILL when the supervisor dies, even by kill -9.
 * One-shot handlers go without it: the extra exec of setpriv is a large share of a spawn, and
 * the orphan reaper kills their process group when the supervisor dies.
 */
export function spawnHandler(cmd: HandlerCommand, extraEnv: Record<string, string>, parentDeathSignal = true): SpawnedHandler {
  const [file, args] = canSetPdeathsig && parentDeathSignal
    ? [SETPRIV, ['--pdeathsig', 'KILL', '--', cmd.command, ...cmd.args]]
    : [cmd.command, [...cmd.args]];
  return execa(file, args, {
    cwd: cmd.cwd,
    // Complete already (see handlerEnv): execa need not merge process.env again per spawn.
    env: handlerEnv(cmd, extraEnv),
    extendEnv: false,
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    buffer: false,
    reject: false,
    detached: true,
    stripFinalNewline: false,
  });
}
