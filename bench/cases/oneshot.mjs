// One-shot: a Python process per task through `drover run --mode oneshot -c 2` (the Redis path),
// against spawning the same interpreter and file per task, 2 at a time, with no Redis (the floor);
// and the same through the Python SDK's run_once(), for what the SDK's start-up costs.
import { execFileSync } from 'node:child_process';
import { BENCH, ROOT } from '../lib/env.mjs';
import { droverDrain } from '../lib/drain.mjs';
import { spawnPerTask } from '../floor/spawn-per-task.mjs';

export function contenders(ctx) {
  const { url, oneshotTasks: tasks, python } = ctx;
  // As an installed package is: byte-compiled. Without __pycache__, and with
  // PYTHONDONTWRITEBYTECODE set (some images do), every one-shot start compiled the SDK (+43 ms).
  execFileSync(python, ['-m', 'compileall', '-q', `${ROOT}sdk/python/drover`]);
  const handler = [python, `${BENCH}handlers/oneshot.py`];
  return [
    { name: 'drover-oneshot-python', what: 'drover run --mode oneshot -c 2, plain one-shot Python', tasks, once: () => droverDrain({ url, tasks, handler, mode: 'oneshot', tag: 'oneshot' }) },
    { name: 'floor-spawn-per-task', what: 'spawn python oneshot.py per task, 2 at a time, no Redis', tasks, once: () => spawnPerTask({ tasks, command: python, args: [`${BENCH}handlers/oneshot.py`] }) },
    { name: 'drover-oneshot-python-sdk', what: 'drover run --mode oneshot -c 2, echo on the Python SDK (run_once)', tasks, once: () => droverDrain({ url, tasks, handler: [python, `${BENCH}handlers/echo_sdk.py`, '--once'], mode: 'oneshot', tag: 'oneshot-sdk' }) },
  ];
}
