/**
 * Protocol v1 wire messages (docs/protocol.md). Field names are snake_case on the wire,
 * as in runqy-worker, so a runqy handler runs unchanged.
 */

export const PROTOCOL_VERSION = 1;

/** Default maximum size of one protocol line, in bytes (64 MiB). */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;

/** Handler -> supervisor: the load phase finished. */
export interface ReadyMessage {
  status: 'ready';
  protocol?: number;
  /** Tasks this process accepts at once; default 1. */
  concurrency?: number;
}

/** Handler -> supervisor: the load phase failed (the process then exits non-zero). */
export interface LoadErrorMessage {
  status: 'error';
  error: string;
}

/** An error as a handler reports it: a string or an object. */
export type WireError = string | { message?: string; type?: string; stack?: string };

/** Handler -> supervisor: a task is done. */
export interface ResultMessage {
  task_id: string;
  result?: unknown;
  error?: WireError | null;
  retry?: boolean;
  retry_after_ms?: number;
}

/** Handler -> supervisor: progress of a running task. */
export interface ProgressMessage {
  type: 'progress';
  task_id: string;
  progress: number;
  message?: string;
}

/** Handler -> supervisor: streamed output of a running task (tokens, frames). */
export interface PartialMessage {
  type: 'partial';
  task_id: string;
  data: unknown;
}

/** Supervisor -> handler: one task. Fields after payload are context a handler may ignore. */
export interface TaskMessage {
  task_id: string;
  payload: unknown;
  type?: string;
  queue?: string;
  retry_count: number;
  max_retry: number;
  deadline_ms?: number;
  meta?: Record<string, unknown>;
}

/** Supervisor -> handler: cooperative cancel. */
export interface CancelMessage {
  type: 'cancel';
  task_id: string;
}

/** Environment variables the supervisor sets for every handler process. */
export const HANDLER_ENV = {
  /** The fd of the dedicated protocol pipe (handler writes replies there instead of stdout). */
  protocolFd: 'DROVER_PROTOCOL_FD',
  protocolVersion: 'DROVER_PROTOCOL',
  mode: 'DROVER_MODE',
  workerId: 'DROVER_WORKER_ID',
} as const;

/** The fd number of the protocol pipe: the 4th stdio entry. */
export const PROTOCOL_FD = 3;
