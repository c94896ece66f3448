// `drover batch` (no Redis) over a file of N tasks, -c 2, plain Python echo, against one Python
// process looping over the same file (the in-process floor: no supervisor, no IPC). Both are timed
// as whole commands, so both include their start (drover's: Node + 2 handlers, ~0.2-0.5 s).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH, DROVER_BIN, now } from '../lib/env.mjs';

export function contenders(ctx) {
  const { tasks, python } = ctx;
  const timed = (command) => () => {
    const dir = mkdtempSync(join(tmpdir(), 'drover-bench-'));
    try {
      const input = join(dir, 'in.ndjson');
      const output = join(dir, 'out.ndjson');
      writeFileSync(input, Array.from({ length: tasks }, (_, i) => JSON.stringify({ i })).join('\n') + '\n');
      const [cmd, ...args] = command(input, output);
      const t0 = now();
      const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      if (r.status !== 0) throw new Error(`${cmd} exited ${r.status}: ${String(r.stderr).slice(-500)}`);
      return now() - t0;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const drover = (input, output) => [process.execPath, DROVER_BIN, 'batch', '--log-level', 'warn', '--no-progress', '-c', '2', '-i', input, '-o', output, '--', python, `${BENCH}handlers/echo.py`];
  const loop = (input, output) => [python, `${BENCH}floor/loop.py`, input, output];
  return [
    { name: 'drover-batch-python', what: 'drover batch -c 2 over an NDJSON file, plain Python echo (incl. process start)', tasks, once: timed(drover) },
    { name: 'floor-python-loop', what: 'one Python process looping over the same file (incl. process start)', tasks, once: timed(loop) },
  ];
}
