/**
 * drover's package entry: the client that enqueues work and reads results, plus the building
 * blocks for embedding a supervisor. Handlers import `drover/handler` instead.
 */
export { Client, type ClientWaitOptions } from './client/client.js';
export { type ClientOptions, DEFAULT_CLIENT_OPTIONS, DEFAULT_REDIS_URL } from './client/options.js';
export type { FinalUpdate, PartialUpdate, ProgressUpdate, SubscribeOptions, TaskUpdate } from './client/subscription.js';
export { TaskFailedError } from './client/task-failed-error.js';
export { DroverError, isDroverError, type DroverErrorCode } from './errors.js';
export type { EnqueueOptions, QueueDefaults } from './queue/redis/options.js';
export type { QueueStats } from './queue/redis/stats.js';
export type { TaskInfo } from './queue/redis/task-info.js';
export type { TaskStreamItem } from './queue/redis/task-events.js';
export type { AttemptOutcome, FailureReason, TaskError, TaskEvent, TaskState } from './queue/task.js';
export { RedisBackend, type ClaimedTask, type RedisBackendOptions } from './queue/redis/backend.js';
export { Pool, type PoolHealth, type PoolStats } from './process/pool.js';
export { type PoolOptions, DEFAULT_POOL_OPTIONS } from './process/pool-options.js';
export { createSupervisor, type Supervisor } from './supervisor/supervisor.js';
export { type SupervisorOptions, DEFAULT_SUPERVISOR_OPTIONS } from './supervisor/supervisor-options.js';
export { VERSION } from './version.js';
