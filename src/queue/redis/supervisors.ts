/** The supervisor registry: heartbeat keys with a TTL plus a registry sorted by expiry. */
import { DroverError } from '../../errors.js';
import type { BackendContext } from './context.js';
import { positiveMs } from './options.js';
import { asArray, asNumber, asString, parseJson } from './reply.js';

export interface SupervisorInfo {
  id: string;
  hostname: string;
  pid: number;
  queues: string[];
  concurrency: number;
  /** The pool's health: 'starting', 'healthy', 'unhealthy' (its handler cannot load), 'stopped'. */
  health?: string;
  /** Tasks it holds (claimed or running). */
  active?: number;
  /** Handler processes per state (`starting`, `ready`, `busy`, `recycling`, `crashed`) at the last heartbeat. */
  processes?: Record<string, number>;
}

export interface SupervisorRecord extends SupervisorInfo {
  /** When the heartbeat expires unless renewed (epoch ms, Redis server clock). */
  expiresAt: number;
  /** Last heartbeat (epoch ms, Redis server clock). */
  lastSeen: number;
}

function check(info: SupervisorInfo): void {
  if (typeof info?.id !== 'string' || info.id === '') {
    throw new DroverError('INVALID_OPTION', `supervisor id: expected a non-empty string, got ${JSON.stringify(info?.id)}`);
  }
  if (!Array.isArray(info.queues)) {
    throw new DroverError('INVALID_OPTION', `supervisor queues: expected an array, got ${JSON.stringify(info.queues)}`);
  }
}

export async function registerSupervisor(ctx: BackendContext, info: SupervisorInfo, ttlMs: number): Promise<void> {
  check(info);
  const ttl = positiveMs('ttlMs', ttlMs);
  const record = {
    id: info.id,
    hostname: info.hostname,
    pid: info.pid,
    queues: info.queues,
    concurrency: info.concurrency,
    health: info.health,
    active: info.active,
    processes: info.processes,
    ttlMs: ttl,
  };
  await ctx.scripts['register-supervisor'].run(ctx.redis, ctx.keys.supervisors(), {}, [info.id, JSON.stringify(record), ttl]);
}

export async function unregisterSupervisor(ctx: BackendContext, id: string): Promise<void> {
  await ctx.scripts['unregister-supervisor'].run(ctx.redis, ctx.keys.supervisors(), {}, [id]);
}

/** `{ processes }` when the registration carries per-state process counts (older supervisors do not). */
function processCounts(raw: unknown): { processes: Record<string, number> } | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const entries = Object.entries(raw).filter((e): e is [string, number] => typeof e[1] === 'number');
  return { processes: Object.fromEntries(entries) };
}

export async function listSupervisors(ctx: BackendContext): Promise<SupervisorRecord[]> {
  const reply = asArray(await ctx.scripts['list-supervisors'].run(ctx.redis, ctx.keys.supervisors(), {}, []));
  const out: SupervisorRecord[] = [];
  for (let i = 1; i + 2 < reply.length; i += 3) {
    const raw = parseJson(asString(reply[i + 1]));
    if (typeof raw !== 'object' || raw === null) continue;
    const r = raw as Partial<SupervisorInfo> & { ttlMs?: number };
    const expiresAt = asNumber(reply[i + 2]);
    out.push({
      id: asString(reply[i]),
      hostname: typeof r.hostname === 'string' ? r.hostname : '',
      pid: typeof r.pid === 'number' ? r.pid : 0,
      queues: Array.isArray(r.queues) ? r.queues.filter((q): q is string => typeof q === 'string') : [],
      concurrency: typeof r.concurrency === 'number' ? r.concurrency : 0,
      ...(typeof r.health === 'string' ? { health: r.health } : {}),
      ...(typeof r.active === 'number' ? { active: r.active } : {}),
      ...(processCounts(r.processes) ?? {}),
      expiresAt,
      lastSeen: expiresAt - (typeof r.ttlMs === 'number' ? r.ttlMs : 0),
    });
  }
  return out;
}
