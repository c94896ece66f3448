import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Client } from '../../../src/client/client.js';
import { runCli } from '../../helpers/cli.js';
import { cleanupPrefix, connect, REDIS_URL, testPrefix } from '../../helpers/redis.js';

const redis = connect();
let prefix: string;
let client: Client;
beforeEach(() => {
  prefix = testPrefix('defaults');
  client = new Client({ redis: REDIS_URL, prefix });
});
afterEach(async () => {
  await client.close();
  await cleanupPrefix(redis, prefix);
});

describe('drover defaults', () => {
  it('sets a queue default that tasks enqueued afterwards get, and shows where each value comes from', async () => {
    const set = await runCli(['defaults', 'mail', '--max-retries', '7', '--task-timeout', '45s', '--backoff', 'fixed', '--backoff-base', '2s', '--no-jitter', '--json', '--redis', REDIS_URL, '--prefix', prefix]);
    expect(set.exitCode).toBe(0);
    expect(set.lines[0]).toMatchObject({
      queue: 'mail',
      defaults: { maxRetries: 7, timeoutMs: 45_000, backoff: { type: 'fixed', baseMs: 2000, jitter: false }, keepCompleted: 1000 },
      stored: { maxRetries: 7, timeoutMs: 45_000 },
    });
    const { id } = await client.enqueue('mail', { to: 'a@b.c' });
    const info = await client.get(id);
    expect(info.maxRetry).toBe(7);
    expect(info.options).toMatchObject({ timeoutMs: 45_000, backoff: { type: 'fixed', baseMs: 2000, jitter: false } });
    const own = await client.get((await client.enqueue('mail', {}, { maxRetries: 1 })).id);
    expect(own.maxRetry).toBe(1); // a task's own option wins

    const table = await runCli(['defaults', 'mail', '--redis', REDIS_URL, '--prefix', prefix]);
    expect(table.stdout).toMatch(/maxRetries\s+7\s+queue/);
    expect(table.stdout).toMatch(/keepFailed\s+10000\s+built-in/);
  });

  it('rejects a bad value naming the flag', async () => {
    const run = await runCli(['defaults', 'mail', '--backoff', 'linear', '--redis', REDIS_URL, '--prefix', prefix]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/--backoff.*expected exponential or fixed, got "linear"/s);
  });
});
