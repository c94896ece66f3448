import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { DROVER_BIN } from '../../helpers/cli.js';
import { PYTHON, fixture, until } from '../../helpers/handlers.js';
import { isAlive } from '../../helpers/os.js';

const dir = mkdtempSync(join(tmpdir(), 'drover-oneshot-orphans-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('one-shot handlers and a supervisor that dies', () => {
  it('a one-shot handler (started without a parent-death signal) dies with a kill -9 of the supervisor', async () => {
    const record = join(dir, 'record');
    const pids = (): number[] => {
      try {
        return readFileSync(record, 'utf8').split('\n').filter(Boolean).map((l) => Number(l.split(' ')[1]));
      } catch {
        return [];
      }
    };
    // record.py writes its pid when its task starts, then sleeps a minute (stdin is already closed).
    const child = execa(process.execPath, [DROVER_BIN, 'batch', '--mode', 'oneshot', '-c', '2', '--', PYTHON, fixture('record.py')], {
      reject: false,
      input: '{"sleep_ms":60000}\n{"sleep_ms":60000}\n',
      env: { RECORD_FILE: record },
    });
    await until(() => pids().length === 2, 15_000, 'both one-shot handlers to start their task');
    expect(pids().every(isAlive)).toBe(true);
    child.kill('SIGKILL');
    await child;
    await until(() => !pids().some(isAlive), 5000, 'the orphan reaper to kill the one-shot handlers');
    expect(pids().filter(isAlive)).toEqual([]);
  });
});
