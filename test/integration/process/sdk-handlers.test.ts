import { describe, expect, it } from 'vitest';
import { fixture, pyHandler, until } from '../../helpers/handlers.js';
import { attempt, startPool } from './pool-helpers.js';

/** stderr lines the pool logged for the handler. */
function stderrLines(records: Record<string, unknown>[]): string[] {
  return records.filter((r) => typeof r.stderr === 'string').map((r) => r.stderr as string);
}

/**
 * Waits until every text was logged from the handler's stderr: the reply (on its own pipe) may
 * arrive before the stderr lines written just before it are read.
 */
async function expectLogged(records: Record<string, unknown>[], texts: string[]): Promise<void> {
  const logged = (): string => stderrLines(records).join('\n');
  await until(() => texts.every((t) => logged().includes(t)), 5000, () => `stderr lines ${JSON.stringify(texts)}; logged:\n${logged()}`);
  for (const text of texts) expect(logged()).toContain(text);
}

describe('SDK handlers under the supervisor keep every print off the protocol', () => {
  it('Python: print, os.system, subprocess and a C write to fd 1 land in the log, never in a reply', async () => {
    const { pool, records } = startPool({ command: pyHandler('sdk-noisy.py') });
    const outcomes = await Promise.all([pool.run(attempt(1)), pool.run(attempt(2))]);
    expect(outcomes).toEqual([expect.objectContaining({ ok: true, result: { ok: 1 } }), expect.objectContaining({ ok: true, result: { ok: 2 } })]);
    const stats = pool.stats();
    expect(stats.unknownReplies).toBe(0); // the forged reply written by C never reached the protocol
    expect(stats.strayLines).toBe(0);
    await expectLogged(records, ['print during load', 'print from python', 'hi from os.system', 'hi from a subprocess', '"task_id":"forged"']);
  });

  it('Node: console.log, process.stdout.write and a child with inherited stdio land in the log', async () => {
    const { pool, records } = startPool({ command: { command: process.execPath, args: [fixture('sdk-noisy.mjs')] } });
    const outcome = await pool.run(attempt('x'));
    expect(outcome).toMatchObject({ ok: true, result: { ok: 'x' } });
    expect(pool.stats().unknownReplies).toBe(0);
    await expectLogged(records, ['console.log from node', '"task_id":"forged"', 'hi from a child']);
  });
});
