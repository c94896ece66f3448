import { readFileSync, readdirSync } from 'node:fs';
import { until } from '../../helpers/handlers.js';
import { isAlive } from '../../helpers/os.js';

/** Linux process state letter from /proc/<pid>/stat ('Z' zombie), or undefined when gone. */
function procState(pid: number): { state: string; pgrp: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0]!, pgrp: Number(fields[2]) };
  } catch {
    return undefined;
  }
}

/**
 * Whether the process still runs. A zombie does not count: orphans are reparented to PID 1,
 * which in a container may never reap them, and a zombie holds no resources but its pid.
 */
export function isRunning(pid: number): boolean {
  if (!isAlive(pid)) return false;
  const s = procState(pid);
  return s !== undefined && s.state !== 'Z';
}

/** Running (non-zombie) members of the process group `pgid`: a handler's leftover children. */
export function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = procState(Number(name));
    if (s && s.pgrp === pgid && s.state !== 'Z') members.push(Number(name));
  }
  return members;
}

/** Running pids among `pids`, plus running members of the groups they led (handlers lead their own group). */
export function survivors(pids: readonly number[]): number[] {
  const left = new Set<number>();
  for (const pid of pids) {
    if (isRunning(pid)) left.add(pid);
    for (const member of groupMembers(pid)) left.add(member);
  }
  return [...left].sort((a, b) => a - b);
}

/** Waits (bounded) until none of `pids` nor their process groups has a running process. */
export async function waitAllGone(pids: readonly number[], timeoutMs = 5000): Promise<void> {
  await until(() => survivors(pids).length === 0, timeoutMs, () => `these processes to end: ${survivors(pids).join(', ')}`, 50);
}
