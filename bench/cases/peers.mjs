// Peers on the same Redis with the same task count: BullMQ (sandboxed file processor and
// in-process), Celery prefork -c 2 and RQ (skipped with a message when not installed).
import { note } from '../lib/measure.mjs';
import { BULLMQ_SANDBOX, bullmqDrain, celeryDrain, celeryPython, rqDrain, rqPython } from '../lib/peers.mjs';

export function contenders(ctx) {
  const { url, tasks } = ctx;
  const list = [
    { name: 'bullmq-sandboxed', what: 'BullMQ 6 Worker, sandboxed file processor (child processes), concurrency 2, Node no-op', tasks, once: () => bullmqDrain({ url, tasks, processor: BULLMQ_SANDBOX }) },
    { name: 'bullmq-inprocess', what: 'BullMQ 6 Worker, in-process async processor, concurrency 2', tasks, once: () => bullmqDrain({ url, tasks, processor: async (job) => job.data }) },
  ];
  const celery = celeryPython();
  if (celery) list.push({ name: 'celery-prefork', what: `Celery prefork -c 2, Redis broker + result backend (${celery})`, tasks, once: () => celeryDrain({ url, tasks, python: celery }) });
  else note('celery: skipped (no python3 with celery and redis; apt-get install python3-celery python3-redis)');
  const rq = rqPython();
  // RQ forks a work horse per job (~50-150 jobs/s here): a smaller count and one run keep the suite short.
  const rqTasks = Math.min(tasks, ctx.rqTasks);
  if (rq) list.push({ name: 'rq', what: `RQ, 2 default (fork-per-job) workers, ${rqTasks} tasks (${rq})`, tasks: rqTasks, runs: 1, once: () => rqDrain({ url, tasks: rqTasks, python: rq }) });
  else note('rq: skipped (no python3 with rq and redis; apt-get install python3-rq)');
  return list;
}
