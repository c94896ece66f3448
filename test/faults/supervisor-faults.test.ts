/**
 * Supervisor faults: kill -9 (with and without a peer), and a freeze past the lease (SIGSTOP).
 * Leases are 2 s and the recovery sweep runs every 200 ms, so a lost task comes back in ~2.2 s.
 */
import { describe, expect, it } from 'vitest';
import { until } from '../helpers/handlers.js';
import type { RunningSupervisor } from '../helpers/supervisor.js';
import { childPids, handlerStarts, readRecord, runsOf, startedIds, starts } from './helpers/fault-records.js';
import { waitAllGone } from './helpers/fault-procs.js';
import { currentOutcomes, each, readyCount, scenarioPerTest, type FaultScenario } from './helpers/fault-scenario.js';

const open = scenarioPerTest();

const FAST_LEASE = ['-q', 'work', '--lease', '2s', '--recover-interval', '200ms'];
const noBackoff = { maxRetries: 3, backoff: { type: 'fixed' as const, baseMs: 0 } };

/**
 * A supervisor with 2 handlers holding 4 tasks: 2 running (15 s on their first attempt, each
 * with a child and a grandchild of its handler), 2 claimed and buffered (prefetch 1).
 */
async function victimHolding4(s: FaultScenario): Promise<{ victim: RunningSupervisor; running: string[]; buffered: string[]; all: string[] }> {
  const victim = s.supervise([...FAST_LEASE, '-c', '2']);
  await until(() => readyCount(victim) === 2, 15_000, () => `two ready handlers:\n${victim.log().slice(-2000)}`);
  const all = (await s.client.enqueueMany('work', [0, 1, 2, 3].map((i) => ({ payload: { i, sleep_first_ms: 15_000, children: 2 }, options: noBackoff })))).map((r) => r.id);
  await until(() => starts(s.files.record) === 2 && childPids(s.files.children).length === 6, 10_000, 'two tasks to start their children');
  await until(async () => Object.values(await currentOutcomes(s.client, all)).every((o) => o.state === 'active'), 5000, 'all four tasks to be claimed');
  const owners = new Set((await Promise.all(all.map((id) => s.client.get(id)))).map((i) => i.owner));
  expect(owners.size).toBe(1); // the victim holds all four
  const running = startedIds(s.files.record);
  return { victim, running, buffered: all.filter((id) => !running.includes(id)), all };
}

describe('supervisor faults', () => {
  it('kill -9 mid-task with a peer alive: the peer recovers and completes every task after the lease; no handler survives', async () => {
    const s = open('kill9-peer');
    const { victim, running, buffered, all } = await victimHolding4(s);
    const victimHandlers = handlerStarts(s.files.starts).map((p) => p.pid);
    expect(victimHandlers).toHaveLength(2);
    const victimProcs = [...victimHandlers, ...childPids(s.files.children)];
    const peer = s.supervise(FAST_LEASE);
    await until(() => readyCount(peer) === 1, 15_000, 'the peer to be ready');
    expect(readRecord(s.files.record).events.filter((e) => e.kind === 'done')).toEqual([]); // still mid-task
    await victim.kill9();
    // Handlers die with their supervisor (parent-death signal), their children too (the orphan reaper).
    await waitAllGone(victimProcs, 3000);

    expect(await s.final(all)).toEqual(each(all, { state: 'completed', attempts: 2 }));
    expect(runsOf(s.files.record, all)).toEqual({ ...each(running, [2, 1]), ...each(buffered, [1, 1]) });
    const peerHandler = handlerStarts(s.files.starts)[2]!.pid;
    for (const id of all) expect(((await s.client.get(id)).result as { pid: number }).pid).toBe(peerHandler);
    expect((await s.client.stats('work')).failuresByReason.lease_lost).toBe(4);
    expect(await peer.stop()).toBe(0);
    expect(s.leftovers()).toEqual([]);
  });

  it('kill -9 mid-task with no supervisor alive: tasks stay active (not lost) past the lease, and a supervisor started later recovers them', async () => {
    const s = open('kill9-alone');
    const { victim, running, buffered, all } = await victimHolding4(s);
    const victimProcs = [...handlerStarts(s.files.starts).map((p) => p.pid), ...childPids(s.files.children)];
    expect(victimProcs).toHaveLength(2 + 6);
    await victim.kill9();
    await waitAllGone(victimProcs, 3000);
    const leases = (await Promise.all(all.map((id) => s.client.get(id)))).map((i) => i.leaseExpiresAt ?? 0);
    await until(() => Date.now() > Math.max(...leases) + 200, 5000, 'the leases to expire');
    expect(await currentOutcomes(s.client, all)).toEqual(each(all, { state: 'active', attempts: 1 }));

    const rescuer = s.supervise(FAST_LEASE);
    expect(await s.final(all)).toEqual(each(all, { state: 'completed', attempts: 2 }));
    expect(runsOf(s.files.record, all)).toEqual({ ...each(running, [2, 1]), ...each(buffered, [1, 1]) });
    expect(await rescuer.stop()).toBe(0);
    expect(s.leftovers()).toEqual([]);
  });

  it('frozen (SIGSTOP) past its lease: another supervisor takes the task over; after SIGCONT the late reply is dropped and counted', async () => {
    const s = open('sigstop');
    const stalled = s.supervise(FAST_LEASE);
    await until(() => readyCount(stalled) === 1, 15_000, 'the first supervisor to be ready');
    const { id } = await s.client.enqueue('work', { sleep_first_ms: 1500 }, noBackoff);
    await until(() => starts(s.files.record) === 1, 10_000, 'the task to start');
    const stalledHandler = handlerStarts(s.files.starts)[0]!.pid;
    process.kill(stalled.child.pid!, 'SIGSTOP'); // its handler runs on and replies into the pipe
    try {
      const other = s.supervise(FAST_LEASE);
      const info = await s.client.wait(id, { timeout: 15_000 });
      expect(info).toMatchObject({ state: 'completed', attempts: 2 });
      const winner = (info.result as { pid: number }).pid;
      expect(winner).not.toBe(stalledHandler);
      // Both attempts replied: the stalled one's reply now waits in the frozen supervisor's pipe.
      await until(() => readRecord(s.files.record).events.some((e) => e.kind === 'sent' && e.pid === stalledHandler), 5000, 'the stalled handler to reply');
      expect((await s.client.stats('work')).totals.staleReplies).toBe(0);

      process.kill(stalled.child.pid!, 'SIGCONT');
      await until(async () => (await s.client.stats('work')).totals.staleReplies === 1, 5000, () => `the late reply to be counted:\n${stalled.log().slice(-2000)}`);
      await until(() => stalled.log().includes('result dropped: the lease was lost and the task reassigned'), 5000, 'the stalled supervisor to log the drop');
      const after = await s.client.get(id);
      expect(after).toMatchObject({ state: 'completed', attempts: 2 });
      expect((after.result as { pid: number }).pid).toBe(winner); // the newer outcome stands
      expect(runsOf(s.files.record, [id])).toEqual({ [id]: [2, 2] }); // the duplicate run, recorded
      expect((await s.client.stats('work')).totals.completed).toBe(1);
      expect(await stalled.stop()).toBe(0);
      expect(await other.stop()).toBe(0);
      expect(s.leftovers()).toEqual([]);
    } finally {
      try {
        process.kill(stalled.child.pid!, 'SIGCONT');
      } catch {
        // already gone
      }
    }
  });
});
