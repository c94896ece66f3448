import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Client } from '../../../src/client/client.js';
import { Pool } from '../../../src/process/pool.js';
import { RedisBackend } from '../../../src/queue/redis/backend.js';
import { createSupervisor } from '../../../src/supervisor/supervisor.js';
import { fixture, memoryLogger } from '../../helpers/handlers.js';
import { cleanupPrefix, connect, REDIS_URL, testPrefix } from '../../helpers/redis.js';

const redis = connect();
const prefix = testPrefix('event-order');
afterEach(async () => {
  await cleanupPrefix(redis, prefix);
});
afterAll(async () => {
  await redis.quit();
});

describe('progress and partial writes vs the outcome', () => {
  it('a slow progress write (a script reload after a Redis restart, say) is not overtaken by the completion', async () => {
    const backend = new RedisBackend({ redis, prefix });
    // The real backend, with progress and partial writes held back 150 ms.
    const slow = new Proxy(backend, {
      get(target, key, receiver) {
        const value: unknown = Reflect.get(target, key, receiver);
        if ((key === 'progress' || key === 'partial') && typeof value === 'function') {
          return async (...args: unknown[]) => {
            await new Promise((r) => setTimeout(r, 150));
            return (value as (...a: unknown[]) => Promise<boolean>).apply(target, args);
          };
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const { logger } = memoryLogger();
    const supervisorRef: { current?: ReturnType<typeof createSupervisor> } = {};
    const pool = new Pool({
      command: { command: process.execPath, args: [fixture('../node-sdk/ops.mjs')] },
      logger,
      onTaskEvent: (event) => supervisorRef.current?.onTaskEvent(event),
    });
    const supervisor = createSupervisor({ backend: slow, pool, queues: [{ name: 'work' }], logger });
    supervisorRef.current = supervisor;
    pool.start();
    supervisor.start();
    const client = new Client({ redis: REDIS_URL, prefix });
    try {
      const { id } = await client.enqueue('work', { op: 'stream' });
      const info = await client.wait(id, { timeout: 10_000 });
      expect(info).toMatchObject({ state: 'completed', result: 'done', progress: { progress: 1 }, partial: 'lo' });
      const events: unknown[] = [];
      for await (const item of client.events(id)) events.push(item);
      expect(events.filter((e) => (e as { type: string }).type !== 'final')).toHaveLength(4);
    } finally {
      await client.close();
      await supervisor.stop();
      await backend.close();
    }
  });
});
