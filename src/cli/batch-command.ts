import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import { BatchOutput } from '../batch/batch-output.js';
import { runBatch, type BatchSummary } from '../batch/batch-runner.js';
import { readBatchInputs } from '../batch/input-lines.js';
import { ProgressBar, formatDuration } from '../batch/progress-bar.js';
import { readFinishedIds, trimTornTail } from '../batch/resume.js';
import { DroverError } from '../errors.js';
import { DEFAULT_MAX_LINE_BYTES } from '../protocol/messages.js';
import { Pool } from '../process/pool.js';
import { createCliLogger } from './logger.js';
import { countLines } from './count-lines.js';
import { parseCount, parseDuration } from './parse-units.js';
import { addPoolFlags, toPoolOptions, type PoolFlags } from './pool-flags.js';

/** Time in-flight tasks get to finish after Ctrl-C. */
const DEFAULT_GRACE_MS = 30_000;

interface BatchFlags extends PoolFlags {
  input?: string;
  output?: string;
  retries: number;
  timeout?: number;
  resume?: boolean;
  keepOrder?: boolean;
  resumeFailed?: boolean;
  progress?: boolean;
  logLevel: string;
  grace?: number;
}

export function registerBatchCommand(program: Command): void {
  const command = program
    .command('batch')
    .description('run a handler over a file of NDJSON inputs on this machine (no Redis needed)')
    .argument('<command...>', 'the handler command, after --')
    .option('-i, --input <file>', 'NDJSON input: a payload per line, or {"id","payload"} (default: stdin)')
    .option('-o, --output <file>', 'NDJSON results: {"id","result"} or {"id","error","attempts"} (default: stdout)')
    .option('--retries <n>', 'retries after the first attempt, for retryable failures', parseCount, 2)
    .option('-t, --timeout <duration>', 'per-attempt timeout, e.g. 30s (default: none)', parseDuration)
    .option('-k, --keep-order', 'write results in input order (default: as they finish)')
    .option('--resume', 'skip ids already in --output (results and failures); append to it')
    .option('--resume-failed', 'like --resume, but run ids that failed again')
    .option('--no-progress', 'no progress bar (it is shown only when stderr is a terminal)')
    .option('--grace <duration>', 'on Ctrl-C, time for in-flight tasks to finish (default: 30s)', parseDuration)
    .option('--log-level <level>', 'trace, debug, info, warn, error', 'info')
    .addHelpText(
      'after',
      `
Examples:
  drover batch -c 4 -i inputs.ndjson -o results.ndjson -- python3 handler.py
  drover batch -o results.ndjson --resume -i inputs.ndjson -- python3 handler.py   # skip what is done
  cat urls.ndjson | drover batch --mode oneshot -c 8 --timeout 30s -- ./fetch.sh > out.ndjson

Exit status: 0 all succeeded, 1 some failed, 2 bad options, 3 the handler could not load, 130 interrupted.
Docs: docs/batch.md, docs/protocol.md`,
    );
  addPoolFlags(command).action(async (argv: string[], flags: BatchFlags) => {
    process.exitCode = await batchMain(argv, flags);
  });
}

async function batchMain(argv: string[], flags: BatchFlags): Promise<number> {
  const resuming = flags.resume === true || flags.resumeFailed === true;
  if (resuming && !flags.output) throw new DroverError('INVALID_OPTION', '--resume needs --output FILE (the file it resumes from)');
  const showBar = flags.progress !== false && process.stderr.isTTY === true;
  const bar = showBar ? new ProgressBar(process.stderr) : undefined;
  const logger = createCliLogger({ level: flags.logLevel, beforeWrite: () => bar?.clear() });
  const pool = new Pool(toPoolOptions(flags, argv, logger));

  if (resuming) {
    const torn = await trimTornTail(flags.output!);
    if (torn > 0) logger.warn({ bytes: torn }, `removed a torn last line from ${flags.output} (the previous run stopped mid-write); that task runs again`);
  }
  const finished = resuming ? await readFinishedIds(flags.output!) : undefined;
  const skip = finished && ((id: string) => finished.succeeded.has(id) || (flags.resumeFailed !== true && finished.failed.has(id)));
  const maxLineBytes = flags.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const input = flags.input ? await openInput(flags.input) : process.stdin;
  const total = bar && flags.input ? await countLines(flags.input) : undefined;
  const abort = new AbortController();
  let outputError: Error | undefined;
  const output = new BatchOutput(flags.output, resuming, (error) => {
    outputError = error;
    abort.abort();
  });

  let signals = 0;
  const onSignal = (): void => {
    signals += 1;
    if (signals === 1) {
      logger.warn(`stopping: in-flight tasks have ${formatDuration(flags.grace ?? DEFAULT_GRACE_MS)} to finish (again to stop now)`);
      abort.abort();
      void pool.stop(flags.grace ?? DEFAULT_GRACE_MS); // the grace is enforced, not just announced
    } else {
      void pool.stop(0);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  pool.start();
  bar?.start();
  let summary: BatchSummary;
  try {
    summary = await runBatch({
      pool,
      inputs: readBatchInputs(input, maxLineBytes),
      skip,
      write: (r) => output.write(r),
      options: { retries: flags.retries, timeoutMs: flags.timeout ?? 0, keepOrder: flags.keepOrder === true },
      signal: abort.signal,
      onUpdate: (s) => bar?.update({ done: s.succeeded + s.failed + s.skipped, failed: s.failed, total }),
    });
  } finally {
    bar?.stop();
    await pool.stop(flags.grace ?? DEFAULT_GRACE_MS);
    await output.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (outputError) {
    // `drover batch ... | head` closed the pipe: stop quietly, like other Unix filters.
    if ((outputError as NodeJS.ErrnoException).code === 'EPIPE') return 0;
    throw new DroverError('OUTPUT_ERROR', `cannot write the output: ${outputError.message}`, { cause: outputError });
  }
  process.stderr.write(`${summaryLine(summary)}\n`);
  if (summary.stoppedBy?.kind === 'unhealthy') {
    process.stderr.write(`drover batch: the handler failed to load: ${summary.stoppedBy.message}\n`);
    return 3;
  }
  if (summary.stoppedBy?.kind === 'interrupted') return 130;
  return summary.failed > 0 ? 1 : 0;
}

async function openInput(path: string): Promise<Readable> {
  try {
    const handle = await open(path, 'r');
    return handle.createReadStream();
  } catch (error) {
    throw new DroverError('INVALID_INPUT', `cannot read --input ${path}: ${(error as Error).message}`, { cause: error });
  }
}

function summaryLine(s: BatchSummary): string {
  const reasons = Object.entries(s.failedByReason).map(([k, v]) => `${v} ${k}`).join(', ');
  const done = s.succeeded + s.failed;
  const rate = s.durationMs > 0 ? ((done / s.durationMs) * 1000).toFixed(1) : '0';
  const parts = [`${s.succeeded} succeeded`, `${s.failed} failed${reasons ? ` (${reasons})` : ''}`];
  if (s.skipped > 0) parts.push(`${s.skipped} skipped (already in the output)`);
  const stopped = s.stoppedBy ? `; stopped early (${s.stoppedBy.kind}): unfinished tasks were not written, rerun with --resume` : '';
  return `drover batch: ${parts.join(', ')} in ${formatDuration(s.durationMs)} (${rate}/s)${stopped}`;
}
