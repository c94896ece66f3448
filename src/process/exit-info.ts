/** How a handler process ended, and the sentence we tell users about it. */
export interface ExitInfo {
  code: number | null;
  signal: string | null;
}

export function describeExit({ code, signal }: ExitInfo): string {
  if (signal === 'SIGKILL') return 'was killed by SIGKILL (it may have run out of memory: check dmesg for the OOM killer)';
  if (signal) return `was killed by ${signal}`;
  if (code === null) return 'exited';
  return `exited with code ${code}`;
}
