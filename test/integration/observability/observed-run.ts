/** Shared set-up for the observability tests: a real `drover run` with its metrics server, and a scrape parser. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach } from 'vitest';
import { Client } from '../../../src/client/client.js';
import { until } from '../../helpers/handlers.js';
import { REDIS_URL, cleanupPrefix, connect, testPrefix } from '../../helpers/redis.js';
import { type RunningSupervisor, startSupervisor, stopAllSupervisors } from '../../helpers/supervisor.js';

export interface ObservedSuite {
  /** A temporary folder for the file's records, removed after the file. */
  readonly dir: string;
  /** This test's key prefix (new for every test, its keys deleted after it). */
  readonly prefix: string;
  /** A client on this test's prefix (opened on first use, closed after the test). */
  readonly client: Client;
}

/**
 * The per-file set-up of these tests: a fresh prefix and client for every test; after each, the
 * supervisors stopped and the prefix's keys deleted; after the file, the folder removed.
 */
export function observedSuite(label: string): ObservedSuite {
  const dir = mkdtempSync(join(tmpdir(), `drover-${label}-`));
  const redis = connect();
  let prefix = '';
  let client: Client | undefined;
  beforeEach(() => {
    prefix = testPrefix(label);
  });
  afterEach(async () => {
    await stopAllSupervisors();
    await client?.close();
    client = undefined;
    await cleanupPrefix(redis, prefix);
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await redis.quit();
  });
  return {
    dir,
    get prefix() {
      return prefix;
    },
    get client() {
      if (prefix === '') throw new Error('observedSuite: the client exists only inside a test');
      client ??= new Client({ redis: REDIS_URL, prefix });
      return client;
    },
  };
}

export interface ObservedRun {
  sup: RunningSupervisor;
  /** e.g. http://127.0.0.1:41234 */
  url: string;
}

/** `drover run --metrics-port 0 --metrics-host 127.0.0.1 ARGS -- HANDLER`, once its server listens. */
export async function startObserved(prefix: string, args: string[], handler: string[], env: Record<string, string> = {}): Promise<ObservedRun> {
  const sup = startSupervisor(prefix, ['--metrics-port', '0', '--metrics-host', '127.0.0.1', ...args], handler, env);
  let url = '';
  await until(
    () => {
      const line = sup.log().split('\n').find((l) => l.includes('"metrics server listening"'));
      if (line) url = (JSON.parse(line) as { url: string }).url;
      return url !== '';
    },
    15_000,
    () => `the metrics server to listen:\n${sup.log()}`,
  );
  return { sup, url };
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text exposition format -> samples (comments skipped). */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return samples;
}

/** Samples of `name` whose labels include `labels`. */
export function find(samples: Sample[], name: string, labels: Record<string, string> = {}): Sample[] {
  return samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** The one sample of `name` with these labels (undefined when absent; throws when ambiguous). */
export function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = find(samples, name, labels);
  if (found.length > 1) throw new Error(`${found.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return found[0]?.value;
}

export async function scrape(url: string): Promise<Sample[]> {
  const res = await fetch(`${url}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  return parseMetrics(await res.text());
}

export async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
