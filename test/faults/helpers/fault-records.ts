import { readFileSync } from 'node:fs';

/** What test/fixtures/faults/worker.py recorded. */
export interface WorkerRecord {
  /** "start"/"done"/"sent" events in file order. */
  events: { kind: 'start' | 'done' | 'sent'; taskId: string; pid: number }[];
}

function lines(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

export function readRecord(file: string): WorkerRecord {
  return {
    events: lines(file).map((l) => {
      const [kind, taskId, pid] = l.split(' ');
      return { kind: kind as 'start' | 'done' | 'sent', taskId: taskId!, pid: Number(pid) };
    }),
  };
}

/** Task starts recorded so far (all tasks). */
export function starts(file: string): number {
  return readRecord(file).events.filter((e) => e.kind === 'start').length;
}

/** Ids of the tasks started so far, in start order. */
export function startedIds(file: string): string[] {
  return readRecord(file).events.filter((e) => e.kind === 'start').map((e) => e.taskId);
}

/** How many times each task started (executions) and replied, per task id. */
export function tally(file: string, kind: 'start' | 'done'): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of readRecord(file).events) if (e.kind === kind) out.set(e.taskId, (out.get(e.taskId) ?? 0) + 1);
  return out;
}

/** Per task id in `ids`, [starts, dones]: the exact execution history the test asserts. */
export function runsOf(file: string, ids: readonly string[]): Record<string, [number, number]> {
  const starts = tally(file, 'start');
  const dones = tally(file, 'done');
  return Object.fromEntries(ids.map((id) => [id, [starts.get(id) ?? 0, dones.get(id) ?? 0]]));
}

/** Handler processes started, in order: pid and start time (epoch ms). */
export function handlerStarts(file: string): { pid: number; at: number }[] {
  return lines(file).map((l) => {
    const [pid, at] = l.split(' ');
    return { pid: Number(pid), at: Number(at) };
  });
}

/** Pids the handler spawned as children and grandchildren. */
export function childPids(file: string): number[] {
  return lines(file).map(Number);
}
