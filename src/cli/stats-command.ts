import type { Command } from 'commander';
import { assertQueueName } from '../queue/redis/keys.js';
import type { QueueStats } from '../queue/redis/stats.js';
import type { SupervisorRecord } from '../queue/redis/supervisors.js';
import { printJson, printNotice, printText } from './print.js';
import { addRedisFlags, type RedisFlags } from './redis-flags.js';
import { type StatsDocument, formatStats, toStatsView } from './stats-view.js';
import { withRedisSession } from './with-session.js';

interface StatsFlags extends RedisFlags {
  json?: boolean;
}

export function registerStatsCommand(program: Command): void {
  const command = program
    .command('stats')
    .description('counts per state, throughput, totals, failures by reason and live supervisors')
    .argument('[queues...]', 'queues to show (default: every queue a live supervisor serves)')
    .option('--json', 'print one JSON document {"queues":[…],"supervisors":[…]}')
    .addHelpText(
      'after',
      `
Examples:
  drover stats                              # every queue a live supervisor serves
  drover stats predict thumbnails           # these queues, served or not
  drover stats --json | jq '.queues[] | {queue, pending: .counts.pending}'
  drover top                                # the same, live

Docs: docs/cli.md`,
    );
  addRedisFlags(command).action(async (queues: string[], flags: StatsFlags) => {
    for (const queue of queues) assertQueueName(queue);
    await withRedisSession(flags, async ({ backend }) => {
      const supervisors = await backend.listSupervisors();
      const names = queuesToShow(queues, supervisors);
      const stats = await Promise.all(names.map((name) => backend.stats(name, { supervisors })));
      const now = Date.now();
      const doc: StatsDocument = { queues: stats.map((s) => toStatsView(s, now)), supervisors };
      for (const s of stats) {
        if (queues.includes(s.queue) && neverUsed(s)) {
          printNotice(`drover stats: queue ${JSON.stringify(s.queue)} has no tasks, no history and no supervisor under prefix ${JSON.stringify(backend.prefix)} (a typo, or another --prefix?)`);
        }
      }
      if (flags.json === true) {
        printJson(doc);
        return;
      }
      if (names.length === 0) printNotice('drover stats: no queue given and no live supervisor registered: name the queues (drover stats QUEUE...)');
      printText(formatStats(doc, now));
    });
  });
}

/** Nothing was ever enqueued to (and kept in) this queue, and nobody serves it. */
function neverUsed(s: QueueStats): boolean {
  const sum = (values: Record<string, number>): number => Object.values(values).reduce((a, b) => a + b, 0);
  return sum(s.counts) + sum(s.totals) + sum(s.failuresByReason) + s.supervisors === 0;
}

/** The queues given, in order, then those live supervisors serve (sorted), each once. */
export function queuesToShow(given: readonly string[], supervisors: readonly SupervisorRecord[]): string[] {
  const discovered = supervisors.flatMap((s) => s.queues).sort();
  return [...new Set([...given, ...discovered])];
}
