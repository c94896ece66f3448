/** Types of bench/lib/soak.mjs, for test/faults/soak.test.ts. */
export interface SoakOptions {
  /** @defaultValue 20000 */
  tasks?: number;
  /** `drover run` processes. @defaultValue 2 */
  supervisors?: number;
  /** Handler processes per supervisor (-c): hung tasks hold a slot for ~1.5 s, so more slots than cores. @defaultValue 4 */
  concurrency?: number;
  /** Share of executions that crash (exit 17). @defaultValue 0.01 */
  crashRate?: number;
  /** Share of executions that hang (killed at the task timeout). @defaultValue 0.005 */
  hangRate?: number;
  /** Share of executions that fail for good (dead at once). @defaultValue 0.001 */
  failRate?: number;
  /** Per-attempt timeout. @defaultValue 1000 */
  timeoutMs?: number;
  /** @defaultValue 3 */
  maxRetries?: number;
  /** Fixed delay before a retry. @defaultValue 50 */
  retryDelayMs?: number;
  /** --cancel-grace of the supervisors. @defaultValue 200 */
  cancelGraceMs?: number;
  /** --kill-grace of the supervisors. @defaultValue 200 */
  killGraceMs?: number;
  /** The run throws when not drained by then. @defaultValue 170000 */
  deadlineMs?: number;
  /** Seeds each execution's fate (with the task id and attempt). @defaultValue 'soak' */
  seed?: string;
  /** @defaultValue $REDIS_URL, else redis://127.0.0.1:6379 */
  redisUrl?: string;
  /** Python interpreter for the handler. @defaultValue $DROVER_TEST_PYTHON, else python3 */
  python?: string;
  onProgress?: (p: { completed: number; dead: number; counts: Record<string, number> }) => void;
}

export interface SoakSummary {
  tasks: number;
  supervisors: number;
  concurrency: number;
  rates: { crash: number; hang: number; fail: number };
  enqueued: number;
  completed: number;
  dead: number;
  retried: number;
  failuresByReason: Record<'error' | 'timeout' | 'handler_crash' | 'lease_lost' | 'load_failed' | 'cancelled', number>;
  staleRepliesDropped: number;
  /** Handler executions recorded (every attempt that reached a handler). */
  executions: number;
  tasksExecuted: number;
  /** Executions beyond the first of each task (retries after crashes and hangs, lease recoveries). */
  duplicates: number;
  /** Executions of an attempt (task id and retry count) that had already run: redelivery without a failure counted. */
  sameAttemptDuplicates: number;
  maxExecutionsOfOneTask: number;
  actions: { ok: number; crash: number; hang: number; fail: number };
  enqueueMs: number;
  drainMs: number;
  tasksPerSecond: number;
  /** Broken invariants; empty when every task is accounted for. */
  problems: string[];
}

export const DEFAULT_SOAK_OPTIONS: Readonly<Required<Omit<SoakOptions, 'python' | 'onProgress'>>>;
export function normalizeSoakOptions(options?: SoakOptions): Required<Omit<SoakOptions, 'onProgress'>> & Pick<SoakOptions, 'onProgress'>;
export function runSoak(options?: SoakOptions): Promise<SoakSummary>;
export function readExecutions(recordFile: string): { id: string; retryCount: number; action: string; pid: number }[];
