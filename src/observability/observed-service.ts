import type { Pool } from '../process/pool.js';

/** One handler pool and the queues it serves; a supervisor process may run several. */
export interface ObservedService {
  /** The `service` label; unique within the process (a config file's handler name, else "default"). */
  name: string;
  queues: readonly string[];
  /** Read at scrape time and for every health check. */
  pool: Pick<Pool, 'health' | 'lastLoadError' | 'stats' | 'processStates'>;
}
