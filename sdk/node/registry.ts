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

/** Runs once before the ready line; its return value is the ctx of every task. */
export type LoadFunction<C = unknown> = () => C | Promise<C>;

interface Registry {
  task?: TaskFunction;
  load?: LoadFunction;
}

const registry: Registry = {};

/**
 * Registers the task function. Returns it unchanged, so it can be exported and unit-tested.
 * Payloads are not validated: P describes what your producers send.
 */
export function task<P = unknown, C = unknown, R = unknown>(fn: TaskFunction<P, C, R>): TaskFunction<P, C, R> {
  if (typeof fn !== 'function') throw new TypeError(`task(): expected a function, got ${typeof fn}`);
  if (registry.task) throw new Error('task(): a task function is already registered; a handler has exactly one');
  registry.task = (payload, ctx, info) => fn(payload as P, ctx as C, info);
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
