import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { RedisBackend } from '../../../src/queue/redis/backend.js';
import { KeySpace, QUEUE_KEY_NAMES, makeTaskId, queueOfTaskId } from '../../../src/queue/redis/keys.js';
import { PRIORITY_MAX } from '../../../src/queue/redis/options.js';
import { SCRIPT_NAMES, loadScript, scripts } from '../../../src/queue/redis/scripts.js';
import { toDroverError } from '../../../src/queue/redis/redis-errors.js';

describe('Lua scripts and key layout', () => {
  it('loads every script with its declared keys, channels and the injected constants', () => {
    const all = scripts();
    expect(Object.keys(all).sort()).toEqual([...SCRIPT_NAMES].sort());
    expect(all.claim.keys).toEqual(['pending', 'pendingList', 'scheduled', 'active', 'counters', 'wake', 'taskPrefix', 'claimReqPrefix', 'idle']);
    expect(all.complete.channels).toEqual(['donePrefix', 'notifyPrefix']);
    expect(all.claim.source).toContain(`PRIORITY_MAX = ${PRIORITY_MAX}`);
    expect(all.claim.source).not.toMatch(/^--@include/m);
    expect(all.claim.source).toContain('local function claim_tasks');
    expect(all.claim.sha).toMatch(/^[0-9a-f]{40}$/);
  });

  it('rejects a script whose header names an unknown key', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'drover-lua-'));
    mkdirSync(path.join(dir, 'include'));
    writeFileSync(path.join(dir, 'bad.lua'), '-- KEYS: pending nonsense\n-- CHANNELS: (none)\nreturn 1\n');
    expect(() => loadScript(dir, 'bad')).toThrow(/unknown key name 'nonsense'/);
    writeFileSync(path.join(dir, 'nohead.lua'), 'return 1\n');
    expect(() => loadScript(dir, 'nohead')).toThrow(/KEYS/);
  });

  it('puts every key of a queue (and of its tasks) under one hash tag', () => {
    const keys = new KeySpace('app:');
    const q = keys.queue('emails');
    for (const name of QUEUE_KEY_NAMES) {
      const key = q[name];
      expect(key.startsWith('app:{emails}:')).toBe(true);
      expect(key.indexOf('{')).toBe('app:'.length); // the first {...} is the hash tag
    }
    const id = makeTaskId('emails');
    const t = keys.task(id)!;
    for (const key of [t.hash, t.events]) expect(key.startsWith('app:{emails}:')).toBe(true);
    expect(keys.supervisors().registry).toBe('app:{@supervisors}:registry');
  });

  it('embeds the queue in task ids', () => {
    expect(queueOfTaskId(makeTaskId('ml.gpu-1'))).toBe('ml.gpu-1');
    expect(makeTaskId('q', 'order:42')).toBe('q:order:42');
    expect(queueOfTaskId('q:order:42')).toBe('q');
    expect(queueOfTaskId('nocolon')).toBeNull();
    expect(queueOfTaskId('bad queue:x')).toBeNull();
    expect(() => makeTaskId('q', 'has space')).toThrow(/id:/);
    expect(() => new KeySpace('x{y}')).toThrow(/prefix/);
  });

  it('refuses a connection that uses ioredis keyPrefix (scripts build keys themselves)', () => {
    const redis = new Redis({ lazyConnect: true, keyPrefix: 'app:' });
    try {
      expect(() => new RedisBackend({ redis })).toThrow(/keyPrefix/);
    } finally {
      redis.disconnect();
    }
  });

  it('maps script statuses and Redis failures to typed DroverErrors', () => {
    const reply = (message: string): Error => Object.assign(new Error(message), { name: 'ReplyError' });
    expect(toDroverError(reply('DROVER_BAD_ARG leaseMs must be positive'), 'claim')).toMatchObject({
      code: 'INVALID_OPTION',
      message: 'claim: leaseMs must be positive',
    });
    expect(toDroverError(reply('DROVER_NOT_FOUND task x'), 'op').code).toBe('TASK_NOT_FOUND');
    expect(toDroverError(reply("OOM command not allowed when used memory > 'maxmemory'"), 'op')).toMatchObject({
      code: 'QUEUE_ERROR',
      message: expect.stringContaining('out of memory'),
    });
    expect(toDroverError(new Error('connect ECONNREFUSED 127.0.0.1:1'), 'op').code).toBe('CONNECTION_ERROR');
    const maxRetries = Object.assign(new Error('Reached the max retries per request limit'), { name: 'MaxRetriesPerRequestError' });
    expect(toDroverError(maxRetries, 'op').code).toBe('CONNECTION_ERROR');
  });
});
