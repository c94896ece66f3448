// The floor without Redis: Node feeds N task lines to `concurrency` Python echo children over
// stdin/stdout, one task in flight per child, and counts the replies. This is the cost of the
// pipes, the JSON and the two interpreters alone.
//   node bench/floor/bare-echo.mjs [tasks=20000] [concurrency=2]   (prints tasks/s)
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { BENCH, PYTHON, now } from '../lib/env.mjs';

/** The elapsed ms (children are started and ready before the clock starts) and this process's CPU. */
export async function bareEcho({ tasks, concurrency = 2, python = PYTHON }) {
  const children = [];
  await Promise.all(
    Array.from({ length: concurrency }, () => {
      const proc = spawn(python, [`${BENCH}handlers/echo.py`], { stdio: ['pipe', 'pipe', 'inherit'] });
      const lines = createInterface({ input: proc.stdout, crlfDelay: Infinity });
      const child = { proc, lines };
      children.push(child);
      return new Promise((r) => lines.once('line', r)); // the ready line
    }),
  );
  let sent = 0;
  let done = 0;
  const cpu0 = process.cpuUsage();
  const t0 = now();
  await new Promise((resolve) => {
    const feed = (child) => {
      if (sent >= tasks) return;
      child.proc.stdin.write(`${JSON.stringify({ task_id: `bare:${sent}`, payload: { i: sent } })}\n`);
      sent += 1;
    };
    for (const child of children) {
      child.lines.on('line', (line) => {
        JSON.parse(line);
        done += 1;
        if (done === tasks) resolve();
        else feed(child);
      });
      feed(child);
    }
  });
  const ms = now() - t0;
  const cpu = process.cpuUsage(cpu0);
  for (const c of children) c.proc.stdin.end();
  await Promise.all(children.map((c) => new Promise((r) => (c.proc.exitCode !== null ? r() : c.proc.once('exit', r)))));
  return { ms, supervisorCpuMs: (cpu.user + cpu.system) / 1000 };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const tasks = Number(process.argv[2] ?? 20000);
  const { ms } = await bareEcho({ tasks, concurrency: Number(process.argv[3] ?? 2) });
  console.log(`${((tasks / ms) * 1000).toFixed(0)} tasks/s`);
}
