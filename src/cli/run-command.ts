import type { Command } from 'commander';
import { Pool } from '../process/pool.js';
import { createSupervisor } from '../supervisor/supervisor.js';
import { parseQueueSpec, type QueueSpec } from '../supervisor/queue-selector.js';
import { createCliLogger } from './logger.js';
import { parseCount, parseDuration } from './parse-units.js';
import { addPoolFlags, toPoolOptions, type PoolFlags } from './pool-flags.js';
import { addRedisFlags, openRedisSession, type RedisFlags } from './redis-flags.js';

interface RunFlags extends PoolFlags, RedisFlags {
  queue?: QueueSpec[];
  lease?: number;
  prefetch?: number;
  grace?: number;
  recoverInterval?: number;
  logLevel: string;
}

export function registerRunCommand(program: Command): void {
  const command = program
    .command('run')
    .description('serve tasks from Redis queues with a pool of handler processes')
    .argument('<command...>', 'the handler command, after --')
    .option('-q, --queue <name[:weight]>', 'queue to serve; repeat for several: listed order is priority, or give weights (default: "default")', collectQueue)
    .option('--lease <duration>', 'task lease, renewed while the task runs (default: 30s)', parseDuration)
    .option('--prefetch <n>', 'claimed tasks buffered per handler slot (default: 1)', parseCount)
    .option('--grace <duration>', 'on SIGTERM/SIGINT, time for in-flight tasks to finish (default: 30s)', parseDuration)
    .option('--recover-interval <duration>', 'how often to look for expired leases (default: 5s)', parseDuration)
    .option('--log-level <level>', 'trace, debug, info, warn, error', 'info')
    .addHelpText(
      'after',
      `
Examples:
  drover run -q predict -c 4 --redis redis://10.0.0.5:6379 -- python3 handler.py
  drover run -q urgent -q default --prefetch 0 -- ./handler      # strict priority, long tasks
  drover run -q heavy:3 -q light:1 --mode oneshot -c 8 -- ./job.sh

SIGTERM/SIGINT: stop claiming, finish in-flight tasks within --grace, requeue the rest.
Docs: docs/run.md, docs/guarantees.md`,
    );
  addRedisFlags(addPoolFlags(command)).action(async (argv: string[], flags: RunFlags) => {
    process.exitCode = await runMain(argv, flags);
  });
}

function collectQueue(value: string, previous: QueueSpec[] = []): QueueSpec[] {
  return [...previous, parseQueueSpec(value)];
}

async function runMain(argv: string[], flags: RunFlags): Promise<number> {
  const logger = createCliLogger({ level: flags.logLevel });
  const queues = flags.queue ?? [{ name: 'default' }];
  const session = openRedisSession(flags);
  const warning = await session.backend.checkMaxmemoryPolicy().catch(() => null);
  if (warning) logger.warn(warning);

  const pool = new Pool({
    ...toPoolOptions(flags, argv, logger),
    onTaskEvent: (event) => supervisor.onTaskEvent(event),
  });
  const supervisor = createSupervisor({
    backend: session.backend,
    pool,
    queues,
    logger,
    leaseMs: flags.lease,
    prefetch: flags.prefetch,
    shutdownGraceMs: flags.grace,
    recoverIntervalMs: flags.recoverInterval,
  });

  let stopping: Promise<void> | undefined;
  const stopped = new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        logger.warn(`${signal} again: killing handlers now`);
        void pool.stop(0);
        return;
      }
      logger.info(`${signal}: stopping (no new tasks; in-flight tasks finish or are requeued)`);
      stopping = supervisor.stop().then(resolve, resolve);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });

  pool.start();
  supervisor.start();
  await stopped;
  await session.close();
  return 0;
}
