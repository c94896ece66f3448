// drover long-lived: N tiny tasks enqueued with enqueueMany, drained by `drover run -c 2`.
import { BENCH } from '../lib/env.mjs';
import { droverDrain } from '../lib/drain.mjs';

export function contenders(ctx) {
  const { url, tasks, python } = ctx;
  const drain = (handler, tag, extraArgs = []) => () => droverDrain({ url, tasks, handler, tag, extraArgs });
  return [
    { name: 'drover-python', what: 'drover run -c 2, plain Python echo (runqy-style, no SDK)', tasks, once: drain([python, `${BENCH}handlers/echo.py`], 'py') },
    { name: 'drover-python-unpipelined', what: 'drover run -c 2 --pipeline 0 (no task written ahead; the default, auto, writes up to 32 ahead of tasks under 2 ms)', tasks, once: drain([python, `${BENCH}handlers/echo.py`], 'pynopipe', ['--pipeline', '0']) },
    { name: 'drover-python-sdk', what: 'drover run -c 2, Python echo on the drover SDK', tasks, once: drain([python, `${BENCH}handlers/echo_sdk.py`], 'pysdk') },
    { name: 'drover-node-sdk', what: 'drover run -c 2, Node echo on drover/handler', tasks, once: drain([process.execPath, `${BENCH}handlers/echo-sdk.mjs`], 'nodesdk') },
  ];
}
