import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_REDIS_URL, defaultRedisUrl } from '../../../src/client/options.js';
import { DroverError } from '../../../src/errors.js';
import { cancel } from '../../../src/queue/redis/admin.js';
import type { BackendContext } from '../../../src/queue/redis/context.js';
import { enqueue } from '../../../src/queue/redis/enqueue.js';
import { KeySpace, isValidQueueName, makeTaskId, newIdSuffix } from '../../../src/queue/redis/keys.js';
import { normalizeEnqueueOptions } from '../../../src/queue/redis/options.js';
import {
  ENQUEUE_OPTION_RULES,
  ID_RULES,
  PREFIX_RULES,
  buildScriptBundle,
  scriptBundleJson,
} from '../../../src/queue/redis/script-bundle.js';
import { SCRIPT_NAMES, scripts } from '../../../src/queue/redis/scripts.js';

const BUNDLE_PATH = fileURLToPath(new URL('../../../sdk/python/drover/client/scripts.json', import.meta.url));

interface KeyRules {
  queueBase: string;
  queue: Record<string, string>;
  channels: Record<string, string>;
  supervisors: Record<string, string>;
  task: Record<string, string>;
}

function fill(template: string, prefix: string, queue = ''): string {
  return template.replace(/<(prefix|queue)>/g, (_m, name: string) => (name === 'prefix' ? prefix : queue));
}

/** Captures the ARGV a backend function passes to a script, without Redis. */
function capture(reply: unknown): { ctx: BackendContext; calls: { name: string; args: unknown[] }[] } {
  const calls: { name: string; args: unknown[] }[] = [];
  const stubScripts = Object.fromEntries(
    SCRIPT_NAMES.map((name) => [
      name,
      {
        run: async (_redis: unknown, _keys: unknown, _channels: unknown, args: unknown[]) => {
          calls.push({ name, args });
          return reply;
        },
      },
    ]),
  );
  const ctx = { redis: null, keys: new KeySpace('p:'), scripts: stubScripts } as unknown as BackendContext;
  return { ctx, calls };
}

describe('script bundle (sdk/python/drover/client/scripts.json)', () => {
  it('matches the checked-in file (regenerate with the command at the top of script-bundle.ts)', () => {
    const onDisk = readFileSync(BUNDLE_PATH, 'utf8');
    expect(onDisk, 'scripts.json is stale: run `npx tsc -p tsconfig.json && node dist/src/queue/redis/script-bundle.js > sdk/python/drover/client/scripts.json`').toBe(
      scriptBundleJson(),
    );
  });

  it('carries every script as the backend runs it', () => {
    const bundle = buildScriptBundle() as { scripts: Record<string, { keys: string[]; channels: string[]; sha1: string; source: string }> };
    const live = scripts();
    expect(Object.keys(bundle.scripts)).toEqual([...SCRIPT_NAMES]);
    for (const name of SCRIPT_NAMES) {
      const s = bundle.scripts[name]!;
      expect(s.source).toBe(live[name].source);
      expect(s.keys).toEqual(live[name].keys);
      expect(s.channels).toEqual(live[name].channels);
      expect(s.sha1).toBe(createHash('sha1').update(s.source).digest('hex'));
      expect(s.source).not.toMatch(/^--@include /m);
    }
  });

  it('key templates rebuild exactly the names KeySpace builds', () => {
    const rules = (buildScriptBundle() as { keys: KeyRules }).keys;
    for (const [prefix, queue] of [
      ['drover:', 'emails'],
      ['<queue>x:', 'a.b-c_9'],
      ['', 'Q'],
    ] as const) {
      const ks = new KeySpace(prefix);
      const base = fill(rules.queueBase, prefix, queue);
      expect(base).toBe(ks.queueBase(queue));
      const q = ks.queue(queue);
      for (const [name, suffix] of Object.entries(rules.queue)) expect(base + suffix).toBe(q[name as keyof typeof q]);
      expect(Object.keys(rules.queue)).toEqual(Object.keys(q));
      const ch = ks.channels(queue);
      for (const [name, suffix] of Object.entries(rules.channels)) expect(base + suffix).toBe(ch[name as keyof typeof ch]);
      const sup = ks.supervisors();
      for (const [name, t] of Object.entries(rules.supervisors)) expect(fill(t, prefix)).toBe(sup[name as keyof typeof sup]);
      const id = `${queue}:x-1`;
      const task = ks.task(id)!;
      const all: Record<string, string> = { ...q, ...ch };
      for (const [field, from] of Object.entries(rules.task)) expect(all[from]! + id).toBe(task[field as keyof typeof task]);
    }
  });

  it('queue-name and prefix rules agree with keys.ts', () => {
    const re = new RegExp(`^(?:${ID_RULES.queueName})$`);
    const samples = ['a', 'A-z_0.9', 'x'.repeat(128), 'x'.repeat(129), '', 'a:b', 'a{b}', '@s', 'a b', 'é', 'a\n'];
    for (const s of samples) expect(re.test(s), JSON.stringify(s)).toBe(isValidQueueName(s));
    const forbidden = new RegExp(PREFIX_RULES.forbidden);
    for (const p of ['ok:', 'a{', 'b}', 'x'.repeat(PREFIX_RULES.maxLength), 'x'.repeat(PREFIX_RULES.maxLength + 1)]) {
      const valid = !forbidden.test(p) && p.length <= PREFIX_RULES.maxLength;
      expect(() => new KeySpace(p), p).toSatisfy((f: () => unknown) => {
        try {
          f();
          return valid;
        } catch {
          return !valid;
        }
      });
    }
  });

  it('the id suffix rule rejects exactly the characters makeTaskId rejects', () => {
    const forbidden = new RegExp(ID_RULES.suffixForbidden);
    const mismatches: number[] = [];
    for (let c = 0; c <= 0xffff; c++) {
      const ch = String.fromCharCode(c);
      let rejected = false;
      try {
        makeTaskId('q', `a${ch}`);
      } catch {
        rejected = true;
      }
      if (rejected !== forbidden.test(ch)) mismatches.push(c);
    }
    expect(mismatches).toEqual([]);
    expect(() => makeTaskId('q', 'x'.repeat(ID_RULES.suffixMaxLength))).not.toThrow();
    expect(() => makeTaskId('q', 'x'.repeat(ID_RULES.suffixMaxLength + 1))).toThrow(DroverError);
  });

  it('the generated id suffix has the described shape', () => {
    const before = Date.now();
    const suffix = newIdSuffix();
    const digits = ID_RULES.suffixTimeDigits;
    expect(suffix).toHaveLength(digits + ID_RULES.suffixRandomDigits);
    const ms = parseInt(suffix.slice(0, digits), ID_RULES.suffixTimeRadix);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(Date.now());
    expect(suffix.slice(digits)).toMatch(/^[0-9a-z]+$/);
  });

  it('option rules match normalizeEnqueueOptions on both sides of every bound', () => {
    expect(ENQUEUE_OPTION_RULES.map((r) => r.name).sort()).toEqual(
      ['priority', 'delayMs', 'runAt', 'maxRetries', 'backoff', 'timeoutMs', 'idempotencyKey', 'resultTtlMs', 'type', 'id', 'meta'].sort(),
    );
    const accepts = (name: string, value: unknown): boolean => {
      try {
        normalizeEnqueueOptions({ [name]: value });
        return true;
      } catch (error) {
        expect(error).toBeInstanceOf(DroverError);
        expect((error as DroverError).code).toBe('INVALID_OPTION');
        expect((error as Error).message.startsWith(`${name}: `)).toBe(true);
        return false;
      }
    };
    for (const rule of ENQUEUE_OPTION_RULES) {
      if (rule.kind === 'int') {
        expect(accepts(rule.name, rule.min), `${rule.name} min`).toBe(true);
        expect(accepts(rule.name, rule.max), `${rule.name} max`).toBe(true);
        expect(accepts(rule.name, rule.min - 1), `${rule.name} min-1`).toBe(false);
        if (rule.max < Number.MAX_SAFE_INTEGER) expect(accepts(rule.name, rule.max + 1), `${rule.name} max+1`).toBe(false);
        else expect(accepts(rule.name, Number.MAX_SAFE_INTEGER + 2), `${rule.name} unsafe`).toBe(false);
        expect(accepts(rule.name, 1.5), `${rule.name} 1.5`).toBe(false);
        if (rule.default !== undefined) expect(normalizeEnqueueOptions({})).toMatchObject({ [rule.name]: rule.default });
      } else if (rule.kind === 'string') {
        expect(accepts(rule.name, 'x'.repeat(rule.maxLength))).toBe(true);
        expect(accepts(rule.name, 'x'.repeat(rule.maxLength + 1))).toBe(false);
        expect(accepts(rule.name, '')).toBe(false);
        expect(accepts(rule.name, 5)).toBe(false);
      } else if (rule.kind === 'object') {
        expect(accepts(rule.name, {})).toBe(true);
        expect(accepts(rule.name, [])).toBe(false);
      } else {
        expect(accepts('backoff', { type: 'fixed' })).toBe(true);
        expect(() => normalizeEnqueueOptions({ backoff: 5 })).toThrow(/^backoff: /);
      }
    }
  });

  it('records the cancel error admin.ts sends', async () => {
    const { ctx, calls } = capture('cancelled');
    await cancel(ctx, 'q:1');
    const bundle = buildScriptBundle() as { tasks: { cancelledBeforeRunError: string } };
    expect(calls).toEqual([{ name: 'cancel', args: ['q:1', bundle.tasks.cancelledBeforeRunError] }]);
  });

  it('enqueue ARGV starts with the id and queue (the Python encoder mirrors the rest)', async () => {
    const { ctx, calls } = capture([1, 'q:fixed', 'pending']);
    await enqueue(ctx, 'q', { a: 1 }, { id: 'fixed' });
    expect(calls[0]!.args.slice(0, 3)).toEqual(['q:fixed', 'q', '{"a":1}']);
    expect(calls[0]!.args).toHaveLength(16);
  });

  it('error codes carry the CLI exit codes and the default URL follows the environment order', () => {
    const bundle = buildScriptBundle() as { errors: { codes: Record<string, number> }; client: { defaultRedisUrl: string; urlEnv: string[] } };
    for (const [code, exit] of Object.entries(bundle.errors.codes)) {
      expect(new DroverError(code as DroverError['code'], '').exitCode).toBe(exit);
    }
    const [first, second] = bundle.client.urlEnv as [string, string];
    expect(defaultRedisUrl({ [first]: 'redis://a', [second]: 'redis://b' })).toBe('redis://a');
    expect(defaultRedisUrl({ [second]: 'redis://b' })).toBe('redis://b');
    expect(defaultRedisUrl({})).toBe(bundle.client.defaultRedisUrl);
    expect(bundle.client.defaultRedisUrl).toBe(DEFAULT_REDIS_URL);
  });
});
