/** The task and load functions a handler registers (runqy-python's `@task` and `@load`). */
import type { CurrentTask } from './messages.js';

/** What a task function gets besides payload and ctx. */
export interface TaskInfo extends CurrentTask {
  /** Aborts (reason: CancelledError) when the supervisor sends `{"type":"cancel"}` for this task. */
  readonly signal: AbortSignal;
}

/** A task function: payload P, ctx C (what the load function returned), result R (any JSON). */
export type TaskFunction<P = unknown, C = unknown, R = unknown> = (
  payload: P,
  ctx: C,
  info: TaskInfo,
) => R | Promise<R>;

/** One task of a batch: its info (own `signal`), its payload, and per-task output. */
export interface BatchItem<P = unknown> extends TaskInfo {
  readonly payload: P;
  /** Milliseconds the task spent in the SDK between its arrival and the call of the batch function. */
  readonly waitedMs: number;
  /** progress() for this task only. */
  progress(fraction: number, message?: string): Promise<void>;
  /** partial() for this task only. */
  partial(data: unknown): Promise<void>;
}

/** The third argument of a batched task function. */
export interface BatchInfo<P = unknown> {
  /** One item per payload, in the same order. */
  readonly items: readonly BatchItem<P>[];
  /** Aborts (reason: CancelledError) once every task of the batch was cancelled. */
  readonly signal: AbortSignal;
}

/**
 * A batched task function: up to `batch` payloads at once; returns (or resolves to) an array with
 * one entry per payload, in order: the task's result, or an Error instance that fails only that
 * task (a RetryableError asks for a retry).
 */
export type BatchTaskFunction<P = unknown, C = unknown, R = unknown> = (
  payloads: P[],
  ctx: C,
  batch: BatchInfo<P>,
) => Array<R | Error> | Promise<Array<R | Error>>;

/** The second argument of task() that makes it batched. */
export interface BatchOptions {
  /** Most payloads per call; also the `concurrency` the ready line declares unless run() sets one. */
  batch: number;
  /**
   * Longest wait, counted from the arrival of the first task of a batch, for more tasks before
   * the function is called with what has arrived.
   * @defaultValue 5
   */
  maxWaitMs?: number;
}

export const DEFAULT_MAX_WAIT_MS = 5;

/** Runs once before the ready line; its return value is the ctx of every task. */
export type LoadFunction<C = unknown> = () => C | Promise<C>;

/** The registered task function, plain or batched. */
export type RegisteredTask =
  | { kind: 'single'; fn: TaskFunction }
  | { kind: 'batch'; fn: BatchTaskFunction; size: number; maxWaitMs: number };

interface Registry {
  task?: RegisteredTask;
  load?: LoadFunction;
}

const registry: Registry = {};

function checkBatchOptions(options: BatchOptions): { size: number; maxWaitMs: number } {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`task(): options must be an object, got ${options === null ? 'null' : typeof options}`);
  }
  const { batch, maxWaitMs = DEFAULT_MAX_WAIT_MS } = options;
  if (typeof batch !== 'number' || !Number.isSafeInteger(batch) || batch < 1) {
    throw new TypeError(`task(): option "batch" must be a positive integer, got ${String(batch)}`);
  }
  if (typeof maxWaitMs !== 'number' || !Number.isFinite(maxWaitMs) || maxWaitMs < 0) {
    throw new TypeError(`task(): option "maxWaitMs" must be a finite number >= 0, got ${String(maxWaitMs)}`);
  }
  return { size: batch, maxWaitMs };
}

/**
 * Registers the task function. Returns it unchanged, so it can be exported and unit-tested.
 * Payloads are not validated: P describes what your producers send.
 *
 * With `{ batch: N, maxWaitMs: W }` the function is batched: it gets up to N payloads that
 * arrived within W ms of the first, and returns one result (or Error) per payload.
 */
export function task<P = unknown, C = unknown, R = unknown>(fn: TaskFunction<P, C, R>): TaskFunction<P, C, R>;
export function task<P = unknown, C = unknown, R = unknown>(
  fn: BatchTaskFunction<P, C, R>,
  options: BatchOptions,
): BatchTaskFunction<P, C, R>;
export function task(fn: TaskFunction | BatchTaskFunction, options?: BatchOptions): TaskFunction | BatchTaskFunction {
  if (typeof fn !== 'function') throw new TypeError(`task(): expected a function, got ${typeof fn}`);
  const batch = options === undefined ? undefined : checkBatchOptions(options);
  if (registry.task) throw new Error('task(): a task function is already registered; a handler has exactly one');
  registry.task = batch ? { kind: 'batch', fn: fn as BatchTaskFunction, ...batch } : { kind: 'single', fn: fn as TaskFunction };
  return fn;
}

/** Registers the load function (model loading and the like). Returns it unchanged. */
export function load<C>(fn: LoadFunction<C>): LoadFunction<C> {
  if (typeof fn !== 'function') throw new TypeError(`load(): expected a function, got ${typeof fn}`);
  if (registry.load) throw new Error('load(): a load function is already registered; a handler has at most one');
  registry.load = fn;
  return fn;
}

/** The registered functions, for run() and runOnce(). */
export function registered(): Readonly<Registry> {
  return registry;
}
