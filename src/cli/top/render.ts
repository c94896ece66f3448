/**
 * A frame of `drover top` as text: a pure function of the view and the terminal size, so it can
 * be tested without a terminal. No line is longer than `width` and there are at most `height`
 * lines (what does not fit is summed up on the last line).
 */
import type { SupervisorRecord } from '../../queue/redis/supervisors.js';
import { formatAgo } from '../format-values.js';
import { type FitColumn, cut, fitTable } from './fit-table.js';
import type { QueueRow, TopView } from './view.js';

export interface FrameSize {
  width: number;
  height: number;
}

/** The order process states are listed in (the pool's states; unknown ones follow, sorted). */
const PROCESS_STATE_ORDER = ['busy', 'ready', 'starting', 'recycling', 'crashed'];

function rate(value: number | undefined): string {
  if (value === undefined) return '-';
  return value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`;
}

/** `2 busy, 1 ready`: the non-zero states; `0` when there is no process; `-` when not reported. */
export function formatProcesses(processes: Record<string, number> | undefined): string {
  if (!processes) return '-';
  const states = Object.keys(processes).sort((a, b) => {
    const ia = PROCESS_STATE_ORDER.indexOf(a);
    const ib = PROCESS_STATE_ORDER.indexOf(b);
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
  });
  const parts = states.filter((s) => processes[s]! > 0).map((s) => `${processes[s]} ${s}`);
  return parts.length === 0 ? '0' : parts.join(', ');
}

const QUEUE_COLUMNS: FitColumn[] = [
  { header: 'QUEUE', rank: 0, align: 'left' },
  { header: 'PENDING', rank: 0, align: 'right' },
  { header: 'SCHEDULED', rank: 5, align: 'right' },
  { header: 'ACTIVE', rank: 1, align: 'right' },
  { header: 'DEAD', rank: 3, align: 'right' },
  { header: 'DONE/S', rank: 2, align: 'right' },
  { header: 'FAILED/S', rank: 4, align: 'right' },
  { header: 'RETRIED/S', rank: 6, align: 'right' },
  { header: 'SUPERVISORS', rank: 7, align: 'right' },
];

function queueCells(q: QueueRow): string[] {
  return [q.queue, String(q.pending), String(q.scheduled), String(q.active), String(q.dead), rate(q.completedPerSec), rate(q.failedPerSec), rate(q.retriedPerSec), String(q.supervisors)];
}

const SUPERVISOR_COLUMNS: FitColumn[] = [
  { header: 'ID', rank: 0, align: 'left' },
  { header: 'HOST', rank: 4, align: 'left' },
  { header: 'PID', rank: 5, align: 'right' },
  { header: 'QUEUES', rank: 6, align: 'left' },
  { header: 'HEALTH', rank: 1, align: 'left' },
  { header: 'SLOTS', rank: 6, align: 'right' },
  { header: 'ACTIVE', rank: 2, align: 'right' },
  { header: 'PROCESSES', rank: 3, align: 'left' },
  { header: 'SEEN', rank: 7, align: 'right' },
];

function supervisorCells(s: SupervisorRecord, now: number): string[] {
  return [
    s.id,
    s.hostname,
    String(s.pid),
    s.queues.join(','),
    s.health ?? '-',
    String(s.concurrency),
    s.active === undefined ? '-' : String(s.active),
    formatProcesses(s.processes),
    formatAgo(s.lastSeen, Math.max(now, s.lastSeen)),
  ];
}

function timeOfDay(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

/** The frame's lines (no trailing newline, no control characters). */
export function renderFrame(view: TopView, size: FrameSize): string[] {
  const width = Math.max(1, size.width);
  const height = Math.max(1, size.height);
  const window = view.rateWindow === 'minute' ? 'over the last minute' : `over the last ${seconds(Math.round(view.rateWindow))}`;
  const lines: string[] = [
    cut(`drover top  ${view.prefix}  every ${seconds(view.intervalMs)}  ${timeOfDay(view.at)} UTC  (q to quit)`, width),
    // A failed reading is said right under the title, where a short terminal still shows it.
    view.error ? cut(`! ${view.error}`, width) : '',
  ];
  if (view.queues.length === 0) {
    lines.push(cut(view.filtered ? 'No queue to show.' : 'No queue: no live supervisor registered; name queues with -q QUEUE.', width));
  } else {
    lines.push(...fitTable(QUEUE_COLUMNS, view.queues.map(queueCells), width));
    lines.push(cut(`rates per second ${window}; DEAD = tasks in the dead set`, width));
  }
  lines.push('');
  const alive = view.supervisors.length;
  lines.push(cut(`Supervisors alive: ${alive === 0 ? 'none' : alive}`, width));
  if (alive > 0) lines.push(...fitTable(SUPERVISOR_COLUMNS, view.supervisors.map((s) => supervisorCells(s, view.at)), width));
  if (lines.length <= height) return lines;
  const hidden = lines.length - (height - 1);
  return [...lines.slice(0, height - 1), cut(`… ${hidden} more line${hidden === 1 ? '' : 's'}: enlarge the terminal or use -q`, width)];
}
