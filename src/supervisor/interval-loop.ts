import type { Logger } from 'pino';

export interface IntervalLoop {
  start(): void;
  /**
   * Stops the loop and waits for a run in progress to end, at most `maxWaitMs` (a run stuck on
   * an unreachable Redis must not hold a shutdown that already gave up its writes).
   */
  stop(maxWaitMs?: number): Promise<void>;
}

export interface IntervalLoopParams {
  name: string;
  intervalMs: number;
  run: () => Promise<void>;
  logger: Logger;
  /** Injected for tests. @defaultValue globalThis.setTimeout */
  setTimer?: (fn: () => void, ms: number) => NodeJS.Timeout;
}

/**
 * The one shape of every background loop (heartbeat, recoverer, registration): run, wait
 * `intervalMs`, run again; runs never overlap; a failed run is logged and the loop goes on
 * (Redis may be restarting: the next run retries).
 */
export function createIntervalLoop(params: IntervalLoopParams): IntervalLoop {
  const setTimer = params.setTimer ?? setTimeout;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = true;
  let failures = 0;

  const tick = (): void => {
    if (stopped) return;
    running = params
      .run()
      .then(
        () => {
          if (failures > 0) params.logger.info({ loop: params.name }, 'background loop recovered');
          failures = 0;
        },
        (error: unknown) => {
          failures += 1;
          // Log the first failure and then every 10th, so an outage does not flood the log.
          if (failures === 1 || failures % 10 === 0) {
            params.logger.warn({ loop: params.name, failures, error: (error as Error).message }, 'background loop run failed');
          }
        },
      )
      .finally(() => {
        running = undefined;
        if (!stopped) timer = setTimer(tick, params.intervalMs);
      });
  };

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      tick();
    },
    async stop(maxWaitMs = Infinity) {
      stopped = true;
      clearTimeout(timer);
      if (!running || maxWaitMs === Infinity) return running;
      let bound: NodeJS.Timeout | undefined;
      await Promise.race([running, new Promise<void>((resolve) => (bound = setTimer(resolve, maxWaitMs)))]);
      clearTimeout(bound);
    },
  };
}
