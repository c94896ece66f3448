// The one-shot floor: start the interpreter once per task (`concurrency` at a time), write the
// task line, read the reply, wait for the exit. No Redis, no supervisor: what any one-shot
// runner pays at least.
//   node bench/floor/spawn-per-task.mjs [tasks=300] [concurrency=2]   (prints tasks/s)
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { BENCH, PYTHON, now } from '../lib/env.mjs';

function runOne(command, args, i) {
  return new Promise((resolve, reject) => {
    const proc = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.once('error', reject);
    // 'close', not 'exit': a fast child can exit before its stdout was read to the end.
    proc.once('close', (code) => {
      if (code === 0 && out.includes(`"once:${i}"`)) resolve();
      else reject(new Error(`one-shot child exited ${code}: ${out.slice(0, 200)}`));
    });
    proc.stdin.end(`${JSON.stringify({ task_id: `once:${i}`, payload: { i } })}\n`);
  });
}

/** The elapsed ms for `tasks` processes, `concurrency` at a time, and this (spawning) process's CPU. */
export async function spawnPerTask({ tasks, concurrency = 2, command = PYTHON, args = [`${BENCH}handlers/oneshot.py`] }) {
  let next = 0;
  const cpu0 = process.cpuUsage();
  const t0 = now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < tasks) await runOne(command, args, next++);
    }),
  );
  const ms = now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { ms, supervisorCpuMs: (cpu.user + cpu.system) / 1000 };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const tasks = Number(process.argv[2] ?? 300);
  const { ms } = await spawnPerTask({ tasks, concurrency: Number(process.argv[3] ?? 2) });
  console.log(`${((tasks / ms) * 1000).toFixed(0)} tasks/s`);
}
