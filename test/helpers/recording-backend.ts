/** The real backend, with the arguments of every call to some of its methods recorded. */
import type { RedisBackend } from '../../src/queue/redis/backend.js';

export type RecordedCalls = Record<string, unknown[][]>;

export function recordingBackend(backend: RedisBackend, methods: readonly (keyof RedisBackend)[]): { backend: RedisBackend; calls: RecordedCalls } {
  const calls: RecordedCalls = Object.fromEntries(methods.map((m) => [m, []]));
  const wrapped = new Proxy(backend, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== 'function') return value;
      if (typeof key === 'string' && key in calls) {
        return (...args: unknown[]) => {
          calls[key]!.push(args);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return value.bind(target);
    },
  });
  return { backend: wrapped, calls };
}
