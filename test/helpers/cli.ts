import { execa, type Options } from 'execa';
import { ROOT } from './handlers.js';

export const DROVER_BIN = `${ROOT}bin/drover.js`;

export interface CliRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as NDJSON. */
  lines: Record<string, unknown>[];
}

/** Run the real CLI (`node bin/drover.js ...`) as a user would. */
export async function runCli(args: string[], options: Options = {}): Promise<CliRun> {
  const result = await execa(process.execPath, [DROVER_BIN, ...args], { reject: false, timeout: 60_000, cwd: ROOT, ...options });
  const stdout = String(result.stdout ?? '');
  const lines = stdout
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { exitCode: result.exitCode ?? -1, stdout, stderr: String(result.stderr ?? ''), lines };
}
