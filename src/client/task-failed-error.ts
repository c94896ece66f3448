/** Thrown by Client.run when the task ended failed or cancelled. */
import { DroverError } from '../errors.js';
import type { TaskInfo } from '../queue/redis/task-info.js';
import type { TaskError } from '../queue/task.js';

export class TaskFailedError extends DroverError {
  /** The task as stored when it finished. */
  readonly task: TaskInfo;
  /** The handler's (or supervisor's) error, with its typed reason. */
  readonly taskError: TaskError;

  constructor(task: TaskInfo) {
    const taskError: TaskError = task.error ?? {
      message: task.state === 'cancelled' ? 'cancelled' : 'failed without an error message',
      reason: task.state === 'cancelled' ? 'cancelled' : 'error',
    };
    super('TASK_FAILED', `task ${task.id} ${task.state} (${taskError.reason}): ${taskError.message}`, {
      cause: taskError,
    });
    this.name = 'TaskFailedError';
    this.task = task;
    this.taskError = taskError;
  }
}
