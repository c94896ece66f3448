import { readFile, readdir } from 'node:fs/promises';

/**
 * Handlers run in their own process group (spawned detached), so a timeout or a recycle
 * reaches the handler's own children too (a shell script's subprocesses, a dataloader's workers).
 */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch (error) {
    // No such group: its leader, a session leader that cannot leave it, is gone too (a one-shot
    // handler after its exit, every task). Windows has no groups: there the pid alone is tried.
    if ((error as NodeJS.ErrnoException).code === 'ESRCH' && process.platform !== 'win32') return false;
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  }
}

/** Resident memory in bytes of every process in the process group `pgid` (Linux /proc). */
export async function groupRssBytes(pgid: number): Promise<number> {
  let total = 0;
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return 0;
  }
  const pageSize = 4096;
  await Promise.all(
    entries.map(async (name) => {
      if (!/^\d+$/.test(name)) return;
      try {
        const stat = await readFile(`/proc/${name}/stat`, 'utf8');
        // Fields after the ")" that ends the command name: state ppid pgrp ... rss is field 24.
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (Number(fields[2]) !== pgid) return;
        total += Number(fields[21]) * pageSize;
      } catch {
        // the process ended while we looked
      }
    }),
  );
  return total;
}
