import type { Command } from 'commander';
import { planRun } from '../config/merge.js';
import { addObservabilityFlags, type ObservabilityFlags } from '../observability/observability-flags.js';
import { createObservability } from '../observability/observability.js';
import { createCliLogger } from './logger.js';
import { addPoolFlags } from './pool-flags.js';
import { addRedisFlags, openRedisSession } from './redis-flags.js';
import { addRunFlags, typedFlags, type RunFlags } from './run/run-flags.js';
import { createService, type RunService } from './run/services.js';

export function registerRunCommand(program: Command): void {
  const command = program
    .command('run')
    .description('serve tasks from Redis queues with a pool of handler processes (or several, from a config file)')
    .argument('[command...]', 'the handler command, after -- (omit it to use --config or ./drover.config.json)');
  addRunFlags(command).addHelpText(
    'after',
    `
Examples:
  drover run -q predict -c 4 --redis redis://10.0.0.5:6379 -- python3 handler.py
  drover run -q urgent -q default --prefetch 0 -- ./handler      # strict priority, long tasks
  drover run -q heavy:3 -q light:1 --mode oneshot -c 8 -- ./job.sh
  drover run --config drover.config.json                          # several handlers, one process
  drover run                                                      # ./drover.config.json

Flags typed on the command line override the config file, for every handler in it.
SIGTERM/SIGINT: stop claiming, finish in-flight tasks within --grace, requeue the rest.
Docs: docs/run.md, docs/config.md, docs/guarantees.md`,
  );
  addObservabilityFlags(addRedisFlags(addPoolFlags(command))).action(async (argv: string[], flags: RunFlags & ObservabilityFlags, self: Command) => {
    process.exitCode = await runMain(argv, flags, self);
  });
}

async function runMain(argv: string[], flags: RunFlags & ObservabilityFlags, command: Command): Promise<number> {
  // Every config or flag error is thrown here, before anything connects or spawns.
  // Flags typed on the command line override the config file (src/config/merge.ts).
  const plan = planRun({ argv, configPath: flags.config, cwd: process.cwd(), flags: typedFlags(command, flags) });
  const logger = createCliLogger({ level: plan.process.logLevel, format: plan.process.logFormat });
  if (plan.config) logger.info({ config: plan.config.label, handlers: plan.services.map((s) => s.name) }, 'config loaded');
  const session = openRedisSession(plan.process);

  let observability: ReturnType<typeof createObservability>;
  let services: RunService[];
  try {
    observability = createObservability({ port: plan.process.metricsPort, host: plan.process.metricsHost, backend: session.backend, logger });
    services = plan.services.map((s) => createService(s, session.backend, logger, plan.config !== undefined, observability.observerFor(s.name, s.queues.map((q) => q.name))));
  } catch (error) {
    await session.close();
    throw error;
  }
  const warning = await session.backend.checkMaxmemoryPolicy().catch(() => null);
  if (warning) logger.warn(warning);

  let stopping: Promise<void> | undefined;
  const stopped = new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        logger.warn(`${signal} again: killing handlers now`);
        for (const s of services) void s.pool.stop(0);
        return;
      }
      logger.info(`${signal}: stopping (no new tasks; in-flight tasks finish or are requeued)`);
      // Every handler stops at once, each within its own grace.
      stopping = Promise.allSettled(services.map((s) => s.supervisor.stop())).then(() => resolve());
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });

  await observability.start(services).catch(async (error: unknown) => {
    await session.close();
    throw error;
  });
  // A signal that came while the metrics server started: stop before starting anything.
  if (!stopping) {
    for (const s of services) {
      s.pool.start();
      s.supervisor.start();
    }
  }
  await stopped;
  await observability.close();
  await session.close();
  return 0;
}
