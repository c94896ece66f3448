/** Shared set-up for the queue CLI tests: the real CLI on a test prefix, plus a fake worker. */
import type { Options } from 'execa';
import type { ClaimedTask } from '../../../src/queue/redis/claimed-task.js';
import { type CliRun, runCli } from '../../helpers/cli.js';
import { REDIS_URL } from '../../helpers/redis.js';
import { type Fixture, sleep } from '../redis/fixture.js';

/** `node bin/drover.js ARGS --redis $REDIS_URL --prefix <the fixture's prefix>`. */
export function drover(f: Fixture, args: string[], options: Options = {}): Promise<CliRun> {
  return runCli([...args, '--redis', REDIS_URL, '--prefix', f.prefix], options);
}

/** Claims the next task of `queue`, retrying until one appears (the CLI may not have enqueued yet). */
export async function claimWhenReady(f: Fixture, queue: string, timeoutMs = 10_000): Promise<ClaimedTask> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [task] = await f.backend.claim(queue, { supervisorId: 'sup-cli-test', leaseMs: 30_000 });
    if (task) return task;
    if (Date.now() > deadline) throw new Error(`no task appeared in ${queue} within ${timeoutMs} ms`);
    await sleep(25);
  }
}

/** Plays a worker that fails the task for good (it goes to the dead set). */
export async function failForGood(f: Fixture, task: ClaimedTask, message: string): Promise<void> {
  await f.backend.fail(task, { reason: 'error', error: { message, type: 'ValueError', reason: 'error' }, retry: false });
}

/** Enqueues through the backend, claims and fails it: one dead task. */
export async function makeDead(f: Fixture, queue: string, payload: unknown, message: string): Promise<string> {
  const { id } = await f.backend.enqueue(queue, payload);
  const task = await claimWhenReady(f, queue);
  if (task.id !== id) throw new Error(`claimed ${task.id}, expected ${id}`);
  await failForGood(f, task, message);
  return id;
}
