/**
 * drover's Node handler SDK (`import { task, load, run } from 'drover/handler'`): the names of
 * runqy-python, in camelCase. See docs/protocol.md for the wire format.
 *
 * Importing this module has effects, on purpose, before any code of the importing module runs:
 * - the protocol channel is fixed: fd $DROVER_PROTOCOL_FD when set (the variable is then
 *   removed from process.env), else the real stdout;
 * - process.stdout.write (so console.log/info/debug and friends) is pointed at stderr;
 * - node:child_process functions are wrapped so a child's inherited stdout becomes stderr.
 * Import it before other modules that print at import time.
 */
import { installChildOutputGuard } from './child-output-guard.js';
import { installStdoutGuard } from './output-guard.js';
import { protocolChannel } from './protocol-channel.js';

// Order matters: the channel keeps the real process.stdout.write before the guard replaces it.
protocolChannel();
installStdoutGuard();
installChildOutputGuard();

export {
  task,
  load,
  DEFAULT_MAX_WAIT_MS,
  type TaskFunction,
  type LoadFunction,
  type TaskInfo,
  type BatchTaskFunction,
  type BatchOptions,
  type BatchInfo,
  type BatchItem,
} from './registry.js';
export { run, runOnce } from './run.js';
export { progress, partial, currentTask, cancelled } from './task-context.js';
export { RetryableError, CancelledError, SerializationError, BatchResultError, type RetryableErrorOptions } from './errors.js';
export { DEFAULT_RUN_OPTIONS, type RunOptions, type RunOnceOptions } from './options.js';
export { PROTOCOL_VERSION, type CurrentTask } from './messages.js';
export { PROTOCOL_FD_ENV } from './protocol-channel.js';
