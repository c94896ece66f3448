/**
 * Soak (CI size): 20,000 tasks through 2 `drover run -c 4` supervisors whose Python SDK handler
 * crashes on 1% of executions, hangs on 0.5% (killed at the 1 s task timeout) and fails for good
 * on 0.1%. At the end every task is accounted for: completed + dead = enqueued, none pending,
 * scheduled or active, every result right, every failure counted once under its reason. The
 * counts, duplicates (at-least-once re-executions) included, are printed as one JSON line.
 * The longer on-demand run is `node bench/soak.mjs`; both use bench/lib/soak.mjs.
 */
import { describe, expect, it } from 'vitest';
import { runSoak, type SoakSummary } from '../../bench/lib/soak.mjs';
import { PYTHON } from '../helpers/handlers.js';
import { REDIS_URL } from '../helpers/redis.js';

const TASKS = 20_000;

describe('soak', () => {
  it(`${TASKS} tasks, 2 supervisors, a handler that crashes 1% and hangs 0.5%: every task accounted for`, async () => {
    const summary: SoakSummary = await runSoak({ tasks: TASKS, supervisors: 2, concurrency: 4, redisUrl: REDIS_URL, python: PYTHON, seed: 'ci' });
    console.log(`soak summary: ${JSON.stringify(summary)}`);

    expect(summary.problems).toEqual([]);
    expect(summary.enqueued).toBe(TASKS);
    expect(summary.completed + summary.dead).toBe(TASKS);
    expect(summary.tasksExecuted).toBe(TASKS);
    // The faults happened (the seed fixes which executions fail), and each was seen as what it was.
    expect(summary.actions.crash).toBeGreaterThan(100);
    expect(summary.actions.hang).toBeGreaterThan(50);
    expect(summary.actions.fail).toBeGreaterThan(0);
    expect(summary.failuresByReason).toMatchObject({
      handler_crash: summary.actions.crash,
      timeout: summary.actions.hang,
      error: summary.actions.fail,
      load_failed: 0,
      cancelled: 0,
    });
    // Every crash or hang costs one more execution of that task, unless it used the task's last attempt.
    const crashesAndHangs = summary.actions.crash + summary.actions.hang;
    expect(summary.duplicates).toBeLessThanOrEqual(crashesAndHangs + summary.sameAttemptDuplicates);
    expect(summary.duplicates).toBeGreaterThanOrEqual(crashesAndHangs - (summary.dead - summary.actions.fail));
    expect(summary.retried).toBe(summary.duplicates - summary.sameAttemptDuplicates);
    // Dead tasks are the deliberate permanent failures, and tasks whose 4 attempts all crashed or hung.
    expect(summary.dead).toBeGreaterThanOrEqual(summary.actions.fail);
  }, 200_000);
});
