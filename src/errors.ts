/**
 * The one error type drover throws. Every code is documented in docs/errors.md.
 * `exitCode` is what the CLI exits with when this error ends a command.
 */
export type DroverErrorCode =
  | 'INVALID_OPTION'
  | 'INVALID_INPUT'
  | 'PAYLOAD_TOO_LARGE'
  | 'PROTOCOL_ERROR'
  | 'LOAD_FAILED'
  | 'UNHEALTHY'
  | 'POOL_STOPPED'
  | 'TASK_NOT_FOUND'
  | 'TASK_FAILED'
  | 'WAIT_TIMEOUT'
  | 'CONNECTION_ERROR'
  | 'QUEUE_ERROR'
  | 'OUTPUT_ERROR';

const EXIT_CODES: Record<DroverErrorCode, number> = {
  INVALID_OPTION: 2,
  INVALID_INPUT: 2,
  PAYLOAD_TOO_LARGE: 2,
  PROTOCOL_ERROR: 1,
  LOAD_FAILED: 3,
  UNHEALTHY: 3,
  POOL_STOPPED: 1,
  TASK_NOT_FOUND: 4,
  TASK_FAILED: 1,
  WAIT_TIMEOUT: 5,
  CONNECTION_ERROR: 6,
  QUEUE_ERROR: 1,
  OUTPUT_ERROR: 1,
};

export class DroverError extends Error {
  readonly code: DroverErrorCode;
  readonly exitCode: number;

  constructor(code: DroverErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DroverError';
    this.code = code;
    this.exitCode = EXIT_CODES[code];
  }
}

export function isDroverError(error: unknown, code?: DroverErrorCode): error is DroverError {
  return error instanceof DroverError && (code === undefined || error.code === code);
}
