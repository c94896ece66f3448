// drover long-lived: N tiny tasks enqueued with enqueueMany, drained by `drover run -c 2`.
import { BENCH } from '../lib/env.mjs';
import { droverDrain } from '../lib/drain.mjs';

export function contenders(ctx) {
  const { url, tasks, python } = ctx;
  const drain = (handler, tag, extraArgs = []) => () => droverDrain({ url, tasks, handler, tag, extraArgs });
  return [
    { name: 'drover-python', what: 'drover run -c 2, plain Python echo (runqy-style, no SDK)', tasks, once: drain([python, `${BENCH}handlers/echo.py`], 'py') },
    { name: 'drover-python-pipelined', what: 'drover run -c 2 --pipeline 1 (one task written ahead per handler, as the buffered floor does)', tasks, once: drain([python, `${BENCH}handlers/echo.py`], 'pypipe', ['--pipeline', '1']) },
    { name: 'drover-python-sdk', what: 'drover run -c 2, Python echo on the drover SDK', tasks, once: drain([python, `${BENCH}handlers/echo_sdk.py`], 'pysdk') },
    { name: 'drover-node-sdk', what: 'drover run -c 2, Node echo on drover/handler', tasks, once: drain([process.execPath, `${BENCH}handlers/echo-sdk.mjs`], 'nodesdk') },
  ];
}
