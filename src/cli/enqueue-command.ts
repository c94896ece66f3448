import type { Command } from 'commander';
import { DroverError } from '../errors.js';
import type { RedisBackend } from '../queue/redis/backend.js';
import type { EnqueueResult } from '../queue/redis/enqueue.js';
import { assertQueueName } from '../queue/redis/keys.js';
import type { EnqueueOptions } from '../queue/redis/options.js';
import { addEnqueueFlags, toEnqueueOptions, type EnqueueFlags } from './enqueue-flags.js';
import { readInputLines, readPayload } from './enqueue-input.js';
import { parseDuration, parseSize } from './parse-units.js';
import { printJson, printNotice, printText } from './print.js';
import { addRedisFlags, type RedisFlags } from './redis-flags.js';
import { waitForResults, waitOutcomeError } from './wait-results.js';
import { withRedisSession } from './with-session.js';

interface EnqueueCommandFlags extends EnqueueFlags, RedisFlags {
  file?: string;
  wait?: boolean;
  timeout?: number;
  json?: boolean;
}

/** Tasks per enqueueMany pipeline for --file. */
const BATCH_SIZE = 500;

export function registerEnqueueCommand(program: Command): void {
  const command = program
    .command('enqueue')
    .description('add a task (or every line of an NDJSON file) to a queue; print the task id(s)')
    .argument('<queue>', 'queue name: 1-128 characters of [A-Za-z0-9_.-]')
    .argument('[payload]', "the payload as JSON; '-' or none reads one JSON document from stdin")
    .option('-f, --file <path>', 'enqueue every NDJSON line: a bare payload or {"id"?,"payload","options"?} (\'-\' = stdin)')
    .option('-w, --wait', 'wait for the task(s) to finish and print {"id","state","result"|"error"} lines')
    .option('--timeout <duration>', 'with --wait: give up waiting after this long, exit 5 (default: wait forever)', parseDuration)
    .option('--json', 'print {"id","created"} per task instead of bare ids (--wait always prints JSON lines)')
    .option('--max-payload-bytes <size>', 'refuse a payload whose JSON is bigger than this, e.g. 64M (default: 16MiB)', parseSize)
    .addHelpText(
      'after',
      `
Examples:
  drover enqueue predict '{"features":[5.1,3.5,1.4,0.2]}'            # prints the task id
  drover enqueue predict '{"features":[5.1,3.5,1.4,0.2]}' --wait     # waits, prints the result
  drover enqueue resize '{"url":"s3://b/k.png"}' --priority 10 --max-retries 5 --task-timeout 2m
  drover enqueue report '{"day":"2030-01-01"}' --run-at 2030-01-02T06:00:00Z --idempotency-key report-2030-01-01
  drover enqueue predict -f inputs.ndjson --wait > results.ndjson   # one task per line

Exit status: 0; 1 a waited task failed; 2 bad input (with -f the bad lines are reported, the
rest enqueued); 5 --wait --timeout passed.
Docs: docs/cli.md`,
    );
  addRedisFlags(addEnqueueFlags(command)).action(async (queue: string, payload: string | undefined, flags: EnqueueCommandFlags) => {
    await enqueueMain(queue, payload, flags);
  });
}

async function enqueueMain(queue: string, payloadArg: string | undefined, flags: EnqueueCommandFlags): Promise<void> {
  assertQueueName(queue);
  if (flags.timeout !== undefined && flags.wait !== true) {
    throw new DroverError('INVALID_OPTION', '--timeout limits how long --wait waits: add --wait (the per-attempt timeout is --task-timeout)');
  }
  if (flags.file !== undefined && payloadArg !== undefined) {
    throw new DroverError('INVALID_OPTION', `give the payload as an argument or --file, not both (got ${JSON.stringify(payloadArg)} and --file ${flags.file})`);
  }
  if (flags.file !== undefined && flags.idempotencyKey !== undefined) {
    throw new DroverError('INVALID_OPTION', '--idempotency-key would make every line of --file the same task: set "options":{"idempotencyKey":…} per line instead');
  }
  const options = toEnqueueOptions(flags);
  // Read a single payload before connecting: bad JSON fails without touching Redis.
  const single = flags.file === undefined ? { payload: await readPayload(payloadArg) } : undefined;

  await withRedisSession(flags, async ({ backend }) => {
    const { ids, inputError } = single
      ? { ids: [await enqueueOne(backend, queue, single.payload, options, flags)], inputError: null }
      : await enqueueFile(backend, queue, flags.file!, options, flags);
    let waitError: DroverError | null = null;
    if (flags.wait === true && ids.length > 0) {
      const summary = await waitForResults(backend, ids, flags.timeout);
      waitError = waitOutcomeError(summary, ids.length, flags.timeout);
    }
    // Precedence: bad input lines (2), then a wait timeout (5), then failed tasks (1).
    if (inputError && waitError) printNotice(`drover: ${waitError.message} [${waitError.code}]`);
    const error = inputError ?? waitError;
    if (error) throw error;
  });
}

function printEnqueued(result: EnqueueResult, flags: EnqueueCommandFlags, line?: number): void {
  if (flags.wait === true) return;
  if (flags.json === true) printJson(line === undefined ? result : { ...result, line });
  else printText(result.id);
}

async function enqueueOne(backend: RedisBackend, queue: string, payload: unknown, options: EnqueueOptions, flags: EnqueueCommandFlags): Promise<string> {
  const result = await backend.enqueue(queue, payload, options);
  printEnqueued(result, flags);
  return result.id;
}

/** Enqueues the good lines in pipelines of BATCH_SIZE; bad lines are reported and counted. */
async function enqueueFile(
  backend: RedisBackend,
  queue: string,
  path: string,
  options: EnqueueOptions,
  flags: EnqueueCommandFlags,
): Promise<{ ids: string[]; inputError: DroverError | null }> {
  const ids: string[] = [];
  const badLines: number[] = [];
  let batch: { line: number; payload: unknown; options: EnqueueOptions }[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const sent = batch;
    batch = [];
    const results = await backend.enqueueMany(queue, sent);
    results.forEach((result, i) => {
      ids.push(result.id);
      printEnqueued(result, flags, sent[i]!.line);
    });
  };
  for await (const item of readInputLines(path, queue, options, flags.maxPayloadBytes)) {
    if (!item.ok) {
      badLines.push(item.line);
      printNotice(`drover enqueue: ${item.message} (not enqueued)`);
      continue;
    }
    batch.push({ line: item.line, payload: item.payload, options: item.options });
    if (batch.length >= BATCH_SIZE) await flush();
  }
  await flush();
  const source = path === '-' ? 'stdin' : path;
  if (badLines.length === 0) {
    if (ids.length === 0) printNotice(`drover enqueue: ${source} has no task lines; nothing enqueued`);
    return { ids, inputError: null };
  }
  // The good lines stay enqueued (and are waited for); the command still ends non-zero.
  const shown = badLines.slice(0, 10).join(', ') + (badLines.length > 10 ? ', …' : '');
  const message = `${badLines.length} line(s) of ${source} not enqueued (line ${shown}); ${ids.length} enqueued`;
  return { ids, inputError: new DroverError('INVALID_INPUT', message) };
}
