import type { HandlerProcess } from './handler-process.js';
import { groupRssBytes } from './process-group.js';

export interface RecycleLimits {
  /** 0 = no limit. */
  maxTasksPerProcess: number;
  /** 0 = no limit; counts the handler and every process in its group. */
  maxRssBytes: number;
}

const MIB = 1024 * 1024;

/** Why a long-lived process should be recycled after a task, or undefined when it may go on. */
export async function recycleReason(proc: HandlerProcess, limits: RecycleLimits): Promise<string | undefined> {
  if (limits.maxTasksPerProcess > 0 && proc.tasksStarted >= limits.maxTasksPerProcess) {
    return `served ${proc.tasksStarted} tasks (--max-tasks-per-process ${limits.maxTasksPerProcess})`;
  }
  if (limits.maxRssBytes > 0 && proc.pid !== undefined) {
    const rss = await groupRssBytes(proc.pid);
    if (rss > limits.maxRssBytes) return `uses ${Math.round(rss / MIB)} MiB resident, over --max-rss ${Math.round(limits.maxRssBytes / MIB)} MiB`;
  }
  return undefined;
}
