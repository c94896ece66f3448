// Where things are: the repo, the built drover, the Python interpreters, Redis.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/**
 * The drover CLI to bench. BENCH_DROVER_BIN points at another build's entry script (a copy of
 * bin/drover.js importing that build's src/cli/main.js). Its queue code must match this tree's
 * dist/ (the bench enqueues with it), and a `tsc --outDir` one level below the repo root
 * (e.g. dist-mine/) still finds the Lua scripts under src/.
 */
export const DROVER_BIN = process.env.BENCH_DROVER_BIN || `${ROOT}bin/drover.js`;
export const BENCH = `${ROOT}bench/`;
export const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

/** The real interpreter behind `python3`: the pyenv shim costs ~100 ms per start. */
export const PYTHON = process.env.BENCH_PYTHON || execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();

/** An interpreter that can import `modules` (Debian's python3-celery/rq live under /usr/bin/python3). */
export function pythonWith(modules) {
  const check = `import ${modules.join(', ')}`;
  for (const candidate of ['/usr/bin/python3', PYTHON]) {
    if (!existsSync(candidate)) continue;
    if (spawnSync(candidate, ['-c', check], { stdio: 'ignore' }).status === 0) return candidate;
  }
  return undefined;
}

function firstLine(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? `${r.stdout}${r.stderr}`.trim().split('\n')[0] : 'unknown';
}

/** Machine and versions, printed first so every result line can be read in context. */
export function machine() {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown';
  return {
    nproc: Number(firstLine('nproc', [])) || cpus().length,
    cpu: model,
    node: process.version,
    python: firstLine(PYTHON, ['--version']),
    pythonPath: PYTHON,
    redisServer: firstLine('redis-server', ['--version']),
  };
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const now = () => Number(process.hrtime.bigint()) / 1e6;
