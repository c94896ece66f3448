import { describe, expect, it } from 'vitest';
import { fixture, pyHandler } from '../../helpers/handlers.js';
import { attempt, startPool } from './pool-helpers.js';

/** stderr lines the pool logged for the handler. */
function stderrLines(records: Record<string, unknown>[]): string[] {
  return records.filter((r) => typeof r.stderr === 'string').map((r) => r.stderr as string);
}

describe('SDK handlers under the supervisor keep every print off the protocol', () => {
  it('Python: print, os.system, subprocess and a C write to fd 1 land in the log, never in a reply', async () => {
    const { pool, records } = startPool({ command: pyHandler('sdk-noisy.py') });
    const outcomes = await Promise.all([pool.run(attempt(1)), pool.run(attempt(2))]);
    expect(outcomes).toEqual([expect.objectContaining({ ok: true, result: { ok: 1 } }), expect.objectContaining({ ok: true, result: { ok: 2 } })]);
    const stats = pool.stats();
    expect(stats.unknownReplies).toBe(0); // the forged reply written by C never reached the protocol
    expect(stats.strayLines).toBe(0);
    const logged = stderrLines(records).join('\n');
    for (const text of ['print during load', 'print from python', 'hi from os.system', 'hi from a subprocess', '"task_id":"forged"']) {
      expect(logged).toContain(text);
    }
  });

  it('Node: console.log, process.stdout.write and a child with inherited stdio land in the log', async () => {
    const { pool, records } = startPool({ command: { command: process.execPath, args: [fixture('sdk-noisy.mjs')] } });
    const outcome = await pool.run(attempt('x'));
    expect(outcome).toMatchObject({ ok: true, result: { ok: 'x' } });
    expect(pool.stats().unknownReplies).toBe(0);
    const logged = stderrLines(records).join('\n');
    for (const text of ['console.log from node', '"task_id":"forged"', 'hi from a child']) expect(logged).toContain(text);
  });
});
