// Child processes of the bench: `drover run`, peers' workers, and their memory.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { DROVER_BIN, REDIS_URL, sleep } from './env.mjs';

/**
 * A long-running child whose stderr is kept (the last 64 KiB) so that readiness can be
 * awaited by counting a log pattern, and failures can be explained.
 */
export function startProcess(command, args, { env = {}, cwd, stdout = 'ignore' } = {}) {
  const proc = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', stdout, 'pipe'] });
  let log = '';
  proc.stderr.on('data', (d) => {
    log = (log + d).slice(-65536);
  });
  const exited = new Promise((r) => proc.once('exit', (code, signal) => r({ code, signal })));
  return {
    proc,
    get log() {
      return log;
    },
    /** Resolves when `pattern` appeared `count` times in stderr; throws if the process exits or `timeoutMs` passes. */
    async waitFor(pattern, count = 1, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      const re = new RegExp(pattern, 'g');
      while ((log.match(re) ?? []).length < count) {
        if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${command} exited before "${pattern}": ${log.slice(-2000)}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for "${pattern}" x${count}: ${log.slice(-2000)}`);
        await sleep(20);
      }
    },
    async stop(signal = 'SIGTERM', timeoutMs = 20_000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return exited;
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
      const r = await exited;
      clearTimeout(timer);
      return r;
    },
  };
}

/**
 * `drover run` on `queue` under `prefix`, resolved once every long-lived handler said ready
 * (or, in one-shot mode, once the supervisor started).
 */
export async function startDrover({ url = REDIS_URL, prefix, queue, concurrency = 2, mode = 'long', extraArgs = [], handler, env = {} }) {
  const args = [DROVER_BIN, 'run', '--redis', url, '--prefix', prefix, '-q', queue, '-c', String(concurrency), '--mode', mode, '--log-level', 'info', ...extraArgs, '--', ...handler];
  const p = startProcess(process.execPath, args, { env });
  if (mode === 'long') await p.waitFor('"msg":"handler ready"', concurrency);
  else await p.waitFor('"msg":"supervisor started"');
  return p;
}

/** Resident set size (KiB) of one pid, from /proc. */
export function rssKiB(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Pids of every descendant of `pid` (ps, so it works without /proc/<pid>/task/*\/children). */
export function descendants(pid) {
  const out = spawnSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' }).stdout ?? '';
  const byParent = new Map();
  for (const line of out.trim().split('\n')) {
    const [child, parent] = line.trim().split(/\s+/).map(Number);
    if (!byParent.has(parent)) byParent.set(parent, []);
    byParent.get(parent).push(child);
  }
  const found = [];
  const stack = [pid];
  while (stack.length) {
    for (const c of byParent.get(stack.pop()) ?? []) {
      found.push(c);
      stack.push(c);
    }
  }
  return found;
}

const TICKS_PER_SECOND = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** CPU time (user + system, ms) used so far by one pid, from /proc/<pid>/stat; 0 once it is gone. */
export function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND; // utime, stime
  } catch {
    return 0;
  }
}

/**
 * CPU used by a process and, separately, by its descendants between `start()` and `stop()`
 * (the descendants must live through both: long-lived handlers do).
 */
export function cpuMeter(pid) {
  let before;
  const read = () => {
    const kids = descendants(pid);
    return { self: cpuMs(pid), children: kids.reduce((a, k) => a + cpuMs(k), 0) };
  };
  return {
    start() {
      before = read();
    },
    stop() {
      const after = read();
      return { selfMs: after.self - before.self, childrenMs: after.children - before.children };
    },
  };
}
