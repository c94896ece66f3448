/**
 * Loads the Lua scripts in ./lua once and runs them with EVALSHA, falling back to EVAL on
 * NOSCRIPT (a fresh server, a failover, another Cluster node).
 *
 * Each script's header declares `-- KEYS: <names>` and `-- CHANNELS: <names>`; the loader
 * parses them (so the header cannot drift from what is passed), checks the names against
 * keys.ts, and prepends a preamble: `C` (constants from TypeScript, never copied by hand),
 * `Q` (declared keys by name), `CH` (declared channel names, the first ARGV entries) and `A`
 * (the script's own arguments). `--@include <name>` inlines `lua/include/<name>.lua`.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { Cluster, Redis } from 'ioredis';
import { DroverError } from '../../errors.js';
import { CHANNEL_NAMES, QUEUE_KEY_NAMES, SUPERVISOR_KEY_NAMES } from './keys.js';
import { DEFAULT_QUEUE_DEFAULTS, PRIORITY_MAX, REQUEST_ID_MAX_LENGTH } from './options.js';

export type RedisClient = Redis | Cluster;
export type ScriptArg = string | number;

/** Constants injected into every script as `C.<NAME>`. */
export const LUA_CONSTANTS: Readonly<Record<string, number | string>> = {
  PRIORITY_MAX,
  /** Width of one priority band of the pending score (2^41); FIFO sequence lives inside. */
  PRIORITY_BAND: 2 ** 41,
  FIFO_OFFSET: 2 ** 40,
  PROMOTE_BATCH: 1000,
  TRIM_BATCH: 100,
  /** Most list entries one RPUSH of enqueue-many carries (Lua's unpack has a stack limit). */
  PUSH_BATCH: 1000,
  RECOVER_BATCH: 1000,
  THROUGHPUT_MINUTES: 60,
  MAX_RETRIES: DEFAULT_QUEUE_DEFAULTS.maxRetries,
  TIMEOUT_MS: DEFAULT_QUEUE_DEFAULTS.timeoutMs,
  BACKOFF_TYPE: DEFAULT_QUEUE_DEFAULTS.backoff.type,
  BACKOFF_BASE_MS: DEFAULT_QUEUE_DEFAULTS.backoff.baseMs,
  BACKOFF_MAX_MS: DEFAULT_QUEUE_DEFAULTS.backoff.maxMs,
  BACKOFF_JITTER: DEFAULT_QUEUE_DEFAULTS.backoff.jitter ? 1 : 0,
  RESULT_TTL_MS: DEFAULT_QUEUE_DEFAULTS.resultTtlMs,
  FAILED_TTL_MS: DEFAULT_QUEUE_DEFAULTS.failedTtlMs,
  KEEP_COMPLETED: DEFAULT_QUEUE_DEFAULTS.keepCompleted,
  KEEP_FAILED: DEFAULT_QUEUE_DEFAULTS.keepFailed,
  EVENTS_MAX_LEN: DEFAULT_QUEUE_DEFAULTS.eventsMaxLen,
  /** Longest result (bytes of JSON) carried in a completed task's done message. */
  DONE_RESULT_MAX: 16_384,
  /** Longest claim request id (the form is checked in TypeScript and again in claim-core). */
  REQUEST_ID_MAX_LENGTH,
  /** Expired entries of Q.idle an enqueue skips at most before it gives up handing off (dispatch.lua). */
  DISPATCH_SCAN: 8,
};

export const SCRIPT_NAMES = [
  'enqueue',
  'enqueue-many',
  'claim',
  'complete',
  'complete-many',
  'fail',
  'requeue',
  'extend-leases',
  'recover',
  'task-event',
  'events-watch',
  'cancel',
  'delete-task',
  'retry-dead',
  'purge-dead',
  'stats',
  'wake-peek',
  'idle-leave',
  'register-supervisor',
  'list-supervisors',
  'unregister-supervisor',
] as const;
export type ScriptName = (typeof SCRIPT_NAMES)[number];

const KNOWN_KEYS = new Set<string>([...QUEUE_KEY_NAMES, ...SUPERVISOR_KEY_NAMES]);
const KNOWN_CHANNELS = new Set<string>(CHANNEL_NAMES);

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

export class LuaScript {
  readonly sha: string;

  constructor(
    readonly name: string,
    readonly keys: readonly string[],
    readonly channels: readonly string[],
    readonly source: string,
  ) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  /** `[numkeys, ...keys, ...channels, ...args]` for EVAL/EVALSHA. */
  private argv(
    keys: Readonly<Record<string, string>>,
    channels: Readonly<Record<string, string>>,
    args: readonly ScriptArg[],
  ): ScriptArg[] {
    const pick = (from: Readonly<Record<string, string>>, name: string, what: string): string => {
      const value = from[name];
      if (value === undefined) {
        throw new DroverError('QUEUE_ERROR', `script ${this.name}: ${what} '${name}' was not provided`);
      }
      return value;
    };
    // Key spaces hand out one frozen keys object per queue: its names are resolved once.
    let head = this.#heads.get(keys);
    if (head === undefined || head.channels !== channels) {
      head = {
        channels,
        names: [...this.keys.map((k) => pick(keys, k, 'key')), ...this.channels.map((c) => pick(channels, c, 'channel'))],
      };
      this.#heads.set(keys, head);
    }
    return [this.keys.length, ...head.names, ...args];
  }

  readonly #heads = new WeakMap<object, { channels: object; names: string[] }>();

  async run(
    client: RedisClient,
    keys: Readonly<Record<string, string>>,
    channels: Readonly<Record<string, string>>,
    args: readonly ScriptArg[],
  ): Promise<unknown> {
    const [numKeys, ...rest] = this.argv(keys, channels, args);
    try {
      return await client.evalsha(this.sha, numKeys, ...rest);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return await client.eval(this.source, numKeys, ...rest);
    }
  }
}

function luaDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [
    path.join(here, 'lua'),
    // Compiled to dist/src/queue/redis/: tsc does not copy .lua files, use the sources.
    path.join(here, '..', '..', '..', '..', 'src', 'queue', 'redis', 'lua'),
  ];
  const found = candidates.find((dir) => existsSync(path.join(dir, 'claim.lua')));
  if (!found) {
    throw new DroverError('QUEUE_ERROR', `Lua scripts not found (looked in ${candidates.join(', ')})`);
  }
  return found;
}

function headerList(source: string, label: 'KEYS' | 'CHANNELS', name: string): string[] {
  const match = new RegExp(`^-- ${label}: (.*)$`, 'm').exec(source);
  if (!match) throw new DroverError('QUEUE_ERROR', `${name}.lua: header has no '-- ${label}:' line`);
  const value = match[1]!.trim();
  return value === '(none)' ? [] : value.split(/\s+/);
}

function luaValue(value: number | string): string {
  return typeof value === 'number' ? String(value) : JSON.stringify(value);
}

function preamble(keys: readonly string[], channels: readonly string[]): string {
  const consts = Object.entries(LUA_CONSTANTS)
    .map(([k, v]) => `${k} = ${luaValue(v)}`)
    .join(', ');
  const q = keys.map((k, i) => `${k} = KEYS[${i + 1}]`).join(', ');
  const ch = channels.map((c, i) => `${c} = ARGV[${i + 1}]`).join(', ');
  const a =
    channels.length === 0
      ? 'local A = ARGV'
      : `local A = {}\nfor i = ${channels.length + 1}, #ARGV do A[i - ${channels.length}] = ARGV[i] end`;
  return `local C = {${consts}}\nlocal Q = {${q}}\nlocal CH = {${ch}}\n${a}\n`;
}

export function loadScript(dir: string, name: string): LuaScript {
  const raw = readFileSync(path.join(dir, `${name}.lua`), 'utf8');
  const keys = headerList(raw, 'KEYS', name);
  const channels = headerList(raw, 'CHANNELS', name);
  for (const k of keys) {
    if (!KNOWN_KEYS.has(k)) throw new DroverError('QUEUE_ERROR', `${name}.lua: unknown key name '${k}'`);
  }
  for (const c of channels) {
    if (!KNOWN_CHANNELS.has(c)) throw new DroverError('QUEUE_ERROR', `${name}.lua: unknown channel '${c}'`);
  }
  const body = raw.replace(/^--@include ([\w-]+)\s*$/gm, (_line, include: string) =>
    readFileSync(path.join(dir, 'include', `${include}.lua`), 'utf8'),
  );
  return new LuaScript(name, keys, channels, preamble(keys, channels) + body);
}

let cache: Readonly<Record<ScriptName, LuaScript>> | undefined;

/** All scripts, read and prepared once per process. */
export function scripts(): Readonly<Record<ScriptName, LuaScript>> {
  if (!cache) {
    const dir = luaDir();
    const out = {} as Record<ScriptName, LuaScript>;
    for (const name of SCRIPT_NAMES) out[name] = loadScript(dir, name);
    cache = out;
  }
  return cache;
}
