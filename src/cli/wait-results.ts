/**
 * `drover enqueue --wait`: waits for tasks (pub/sub, no polling) and prints one NDJSON line per
 * task as it finishes: {"id","state","result"} or {"id","state","error"}; a task still
 * unfinished at the deadline is printed with its current state and no result.
 */
import { DroverError, isDroverError } from '../errors.js';
import type { RedisBackend } from '../queue/redis/backend.js';
import type { TaskInfo } from '../queue/redis/task-info.js';
import { formatDuration } from '../batch/progress-bar.js';
import { printJson } from './print.js';

/** Waits at once on at most this many tasks (each holds a channel subscription). */
const MAX_CONCURRENT_WAITS = 256;

export interface WaitSummary {
  completed: number;
  /** Failed or cancelled. */
  failed: TaskInfo[];
  /** Ids unfinished at the deadline. */
  unfinished: string[];
}

export function resultLine(info: TaskInfo): Record<string, unknown> {
  const line: Record<string, unknown> = { id: info.id, state: info.state };
  if (info.state === 'completed') line.result = info.result ?? null;
  else if (info.error) line.error = info.error;
  return line;
}

async function waitOne(backend: RedisBackend, id: string, deadline: number, summary: WaitSummary): Promise<void> {
  const timeoutMs = deadline === Infinity ? undefined : Math.max(0, deadline - Date.now());
  let info: TaskInfo;
  try {
    info = await backend.wait(id, timeoutMs === undefined ? {} : { timeoutMs });
  } catch (error) {
    if (!isDroverError(error, 'WAIT_TIMEOUT')) throw error;
    const current = await backend.get(id);
    summary.unfinished.push(id);
    printJson({ id, state: current?.state ?? 'unknown' });
    return;
  }
  if (info.state === 'completed') summary.completed += 1;
  else summary.failed.push(info);
  printJson(resultLine(info));
}

/** Waits for every id (printing each as it ends) until all finished or `timeoutMs` passed. */
export async function waitForResults(backend: RedisBackend, ids: readonly string[], timeoutMs: number | undefined): Promise<WaitSummary> {
  const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
  const summary: WaitSummary = { completed: 0, failed: [], unfinished: [] };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ids.length) {
      const id = ids[next]!;
      next += 1;
      await waitOne(backend, id, deadline, summary);
    }
  };
  await Promise.all(Array.from({ length: Math.min(MAX_CONCURRENT_WAITS, ids.length) }, worker));
  return summary;
}

function shortDuration(ms: number): string {
  return ms < 1000 ? `${ms}ms` : formatDuration(ms);
}

/** The error that ends the command: a timeout (exit 5) before failures (exit 1); null when all completed. */
export function waitOutcomeError(summary: WaitSummary, total: number, timeoutMs: number | undefined): DroverError | null {
  if (summary.unfinished.length > 0) {
    const which = total === 1 ? `task ${summary.unfinished[0]}` : `${summary.unfinished.length} of ${total} tasks`;
    return new DroverError('WAIT_TIMEOUT', `${which} did not finish within ${shortDuration(timeoutMs ?? 0)} (still queued or running)`);
  }
  const first = summary.failed[0];
  if (!first) return null;
  const detail = first.error ? `: ${first.error.message} (${first.error.reason})` : '';
  const message =
    total === 1
      ? `task ${first.id} ${first.state}${detail}`
      : `${summary.failed.length} of ${total} tasks failed or were cancelled (first: ${first.id} ${first.state}${detail})`;
  return new DroverError('TASK_FAILED', message);
}
