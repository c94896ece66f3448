/**
 * The one place where Redis failures become typed DroverErrors.
 *
 * - Scripts signal a status with `redis.error_reply('DROVER_<STATUS> <message>')`; the status
 *   maps to a code through SCRIPT_STATUS_CODES.
 * - Any other server reply error (a script bug, OOM under maxmemory, a wrong key type) is a
 *   QUEUE_ERROR; connection-level failures (refused, closed, timed out, retries exhausted,
 *   cluster down) are CONNECTION_ERROR.
 */
import { DroverError, type DroverErrorCode } from '../../errors.js';

export const SCRIPT_STATUS_CODES: Readonly<Record<string, DroverErrorCode>> = {
  NOT_FOUND: 'TASK_NOT_FOUND',
  BAD_ARG: 'INVALID_OPTION',
  BAD_STATE: 'QUEUE_ERROR',
};

const CONNECTION_NAMES = new Set(['MaxRetriesPerRequestError', 'ClusterAllFailedError', 'AbortError']);
const CONNECTION_MESSAGE =
  /connection is closed|stream isn't writeable|command timed out|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|CLUSTERDOWN|None of startup nodes is available|Failed to refresh slots cache|connect ETIMEDOUT/i;

const AUTH_MESSAGE = /^(WRONGPASS|NOAUTH|NOPERM)\b/;

/** The last socket-level error of each connection, so "retries exhausted" can say why. */
const lastErrors = new WeakMap<object, Error>();

/** Remember `redis`'s connection errors (TLS, refused, DNS) for the messages of later failures. */
export function trackConnectionErrors(redis: { on(event: 'error', listener: (error: Error) => void): unknown }): void {
  redis.on('error', (error: Error) => lastErrors.set(redis, error));
}

function lastErrorNote(redis: object | undefined, message: string): string {
  const last = redis ? lastErrors.get(redis) : undefined;
  return last && !message.includes(last.message) ? ` (last connection error: ${last.message})` : '';
}

export function toDroverError(error: unknown, operation: string, redis?: object): DroverError {
  if (error instanceof DroverError) return error;
  const err = error instanceof Error ? error : new Error(String(error));
  const status = /DROVER_([A-Z_]+) (.*)/s.exec(err.message);
  if (status) {
    const code = SCRIPT_STATUS_CODES[status[1]!] ?? 'QUEUE_ERROR';
    return new DroverError(code, `${operation}: ${status[2]}`, { cause: err });
  }
  if (err.name === 'ReplyError' && AUTH_MESSAGE.test(err.message)) {
    const what = `${operation}: Redis refused the credentials (${err.message}); check the user and password in the Redis URL`;
    return new DroverError('CONNECTION_ERROR', what, { cause: err });
  }
  if (err.name === 'ReplyError') {
    const hint = /^OOM /.test(err.message) ? ' (Redis is out of memory: raise maxmemory or trim queues)' : '';
    return new DroverError('QUEUE_ERROR', `${operation}: Redis replied ${err.message}${hint}`, { cause: err });
  }
  if (CONNECTION_NAMES.has(err.name) || CONNECTION_MESSAGE.test(err.message)) {
    return new DroverError('CONNECTION_ERROR', `${operation}: cannot reach Redis: ${err.message}${lastErrorNote(redis, err.message)}`, { cause: err });
  }
  return new DroverError('QUEUE_ERROR', `${operation}: ${err.message}`, { cause: err });
}

/** Runs `fn`, turning any failure into a DroverError named after `operation`. */
export async function guard<T>(operation: string, fn: () => Promise<T>, redis?: object): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw toDroverError(error, operation, redis);
  }
}
