/** The human-readable view of one task (`drover get` on a terminal). */
import type { TaskInfo } from '../queue/redis/task-info.js';
import { compactJson, formatAgo, formatTime } from './format-values.js';

function when(ms: number | undefined, now: number): string {
  return ms === undefined ? '-' : `${formatTime(ms)} (${formatAgo(ms, now)})`;
}

/** Label/value rows, aligned on the labels; rows with no value are left out. */
export function formatTaskBlock(task: TaskInfo, now: number = Date.now()): string {
  const o = task.options;
  const rows: [string, string | undefined][] = [
    ['id', task.id],
    ['queue', task.queue],
    ['state', task.state + (task.cancelRequested && task.state === 'active' ? ' (cancel requested)' : '')],
    ['type', task.type],
    ['attempts', `${task.attempts} started, ${task.retryCount} failed, max retries ${o.maxRetries}`],
    ['priority', String(o.priority)],
    ['timeout', o.timeoutMs > 0 ? `${o.timeoutMs} ms per attempt` : 'none'],
    ['idempotency', o.idempotencyKey],
    ['progress', task.progress ? `${Math.round(task.progress.progress * 100)}%${task.progress.message ? ` ${task.progress.message}` : ''}` : undefined],
    ['owner', task.owner],
    ['enqueued', when(task.enqueuedAt, now)],
    ['run at', task.state === 'scheduled' ? when(task.runAt, now) : undefined],
    ['started', task.startedAt === undefined ? undefined : when(task.startedAt, now)],
    ['lease until', task.state === 'active' ? when(task.leaseExpiresAt, now) : undefined],
    ['finished', task.finishedAt === undefined ? undefined : when(task.finishedAt, now)],
    ['expires', task.expiresAt === undefined ? undefined : when(task.expiresAt, now)],
    ['error', task.error ? `[${task.error.reason}] ${task.error.type ? `${task.error.type}: ` : ''}${task.error.message}` : undefined],
    ['result', task.state === 'completed' ? compactJson(task.result) : undefined],
    ['partial', task.partial === undefined ? undefined : compactJson(task.partial)],
    ['payload', compactJson(task.payload)],
  ];
  const shown = rows.filter((r): r is [string, string] => r[1] !== undefined);
  const width = Math.max(...shown.map(([label]) => label.length)) + 1;
  const lines = shown.map(([label, value]) => `${`${label}:`.padEnd(width)}  ${value}`);
  if (task.error?.stack) lines.push('stack:', ...task.error.stack.split('\n').map((l) => `  ${l}`));
  return lines.join('\n') + '\n';
}
