/** Runs one command body on a Redis session and always closes it, so the process can exit. */
import { openRedisSession, type RedisFlags, type RedisSession } from './redis-flags.js';

export async function withRedisSession<T>(flags: RedisFlags, body: (session: RedisSession) => Promise<T>): Promise<T> {
  const session = openRedisSession(flags);
  try {
    return await body(session);
  } finally {
    await session.close();
  }
}
