import { isDroverError } from '../errors.js';
import type { Logger } from 'pino';

/**
 * Run a Redis write that must not be lost (a result, a failure, a requeue) until it succeeds:
 * Redis may be restarting. Backs off from 100 ms to 5 s. Gives up when `giveUp()` says so
 * (shutdown past its grace), or at once on an error that is not about the connection (retrying
 * a refused write would hold the task active forever); the task's lease then expires and the
 * recoverer puts it back.
 */
export function untilWritten<T>(what: string, write: () => Promise<T>, logger: Logger, giveUp: () => boolean): Promise<T | undefined> {
  // The first try without an async frame of its own: nearly every write succeeds at once.
  let first: Promise<T>;
  try {
    first = write();
  } catch (error) {
    return retryWrite(what, write, logger, giveUp, error);
  }
  return first.catch((error: unknown) => retryWrite(what, write, logger, giveUp, error));
}

/** After a failed first try (`error`): give up, or retry with backoff until written. */
async function retryWrite<T>(what: string, write: () => Promise<T>, logger: Logger, giveUp: () => boolean, firstError: unknown): Promise<T | undefined> {
  let delay = 100;
  let error = firstError;
  for (let attempt = 1; ; attempt += 1) {
    if (!isDroverError(error, 'CONNECTION_ERROR')) {
      logger.error({ what, error: (error as Error).message }, 'Redis refused a write; the lease will expire and the task will run again');
      return undefined;
    }
    if (giveUp()) {
      logger.error({ what, error: (error as Error).message }, 'giving up a Redis write; the lease will expire and the task will run again');
      return undefined;
    }
    if (attempt === 1 || attempt % 10 === 0) logger.warn({ what, attempt, error: (error as Error).message }, 'Redis write failed; retrying');
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(5000, delay * 2);
    try {
      return await write();
    } catch (next) {
      error = next;
    }
  }
}
