/** The local Durable Task host driving orchestrators written with the real durable-functions library. */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OrchestrationContext } from 'durable-functions';
import { createOrchestrator } from 'durable-functions/lib/src/util/testingUtils';
import { describe, expect, it } from 'vitest';
import type { HostClock } from '../../src/local/clock';
import { DurableHost, MAX_CUSTOM_STATUS_BYTES } from '../../src/local/durable-host';

/** A manual clock: timers fire when the test advances it. */
function manualClock(start: string) {
  let now = Date.parse(start);
  const timers: { at: number; fn: () => void; live: boolean }[] = [];
  const clock: HostClock = {
    now: () => new Date(now),
    setTimer(at, fn) {
      const t = { at: at.getTime(), fn, live: true };
      timers.push(t);
      return () => (t.live = false);
    },
  };
  const advance = (ms: number) => {
    now += ms;
    for (const t of timers) if (t.live && t.at <= now) {
      t.live = false;
      t.fn();
    }
  };
  return { clock, advance };
}

/** Counts signals; wakes on a timer every 10 minutes; continues as new every 3 rounds; stops on "stop". */
function* counter(context: OrchestrationContext): Generator<unknown, unknown, unknown> {
  const input = (context.df.getInput() ?? { total: 0, wakes: 0, generations: 0 }) as { total: number; wakes: number; generations: number };
  let { total, wakes } = input;
  for (let round = 0; round < 3; round++) {
    const timer = context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 600_000));
    const signal = context.df.waitForExternalEvent('signal');
    const winner = yield context.df.Task.any([signal, timer]);
    if (winner === signal) {
      timer.cancel();
      const value = signal.result as { add?: number; stop?: boolean };
      if (value.stop) return { total, wakes, generations: input.generations };
      total = (yield context.df.callActivity('add', { total, add: value.add ?? 0 })) as number;
    } else wakes++;
    context.df.setCustomStatus({ total, wakes });
  }
  context.df.continueAsNew({ total, wakes, generations: input.generations + 1 });
  return undefined;
}

function host(stateDir: string, clock: HostClock, calls: number[]) {
  const h = new DurableHost({ stateDir, clock });
  h.registerOrchestrator('counter', createOrchestrator(counter) as never);
  h.registerActivity('add', (input) => {
    const { total, add } = input as { total: number; add: number };
    calls.push(add);
    return total + add;
  });
  return h;
}

describe('local durable host', () => {
  it('runs activities, external events, timers and continue-as-new under the real library', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rm-durable-'));
    const { clock, advance } = manualClock('2026-11-02T09:00:00Z');
    const calls: number[] = [];
    const h = host(dir, clock, calls);
    expect(h.start('counter', 'c1', null)).toBe(true);
    await h.whenIdle();
    for (const add of [1, 2, 3, 4]) {
      h.raiseEvent('c1', 'signal', { add });
      await h.whenIdle();
    }
    advance(600_000);
    await h.whenIdle();
    expect(h.get('c1')!.customStatus).toEqual({ total: 10, wakes: 1 });
    expect(h.get('c1')!.generation).toBe(1);
    h.raiseEvent('c1', 'signal', { stop: true });
    await h.whenIdle();
    expect(h.get('c1')).toMatchObject({ status: 'Completed', output: { total: 10, wakes: 1, generations: 1 } });
    expect(calls).toEqual([1, 2, 3, 4]);
    h.close();
  });

  it('resumes from its persisted history after a restart, without running completed activities again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rm-durable-'));
    const { clock } = manualClock('2026-11-02T09:00:00Z');
    const calls: number[] = [];
    const first = host(dir, clock, calls);
    first.start('counter', 'c2', null);
    await first.whenIdle();
    first.raiseEvent('c2', 'signal', { add: 5 });
    await first.whenIdle();
    first.close();
    // A new host process: same state dir, a signal arrives.
    const second = host(dir, clock, calls);
    expect(second.resume()).toBe(1);
    second.raiseEvent('c2', 'signal', { add: 7 });
    await second.whenIdle();
    expect(second.get('c2')!.customStatus).toEqual({ total: 12, wakes: 0 });
    expect(calls).toEqual([5, 7]);
    second.close();
  });

  it('is as strict as the extension: events in the batch that continues as new are discarded, not carried', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rm-durable-'));
    const { clock, advance } = manualClock('2026-11-02T09:00:00Z');
    const calls: number[] = [];
    const h = host(dir, clock, calls);
    h.start('counter', 'c3', null);
    await h.whenIdle();
    // Two rounds pass on timers; the third round's timer and a signal arrive in one batch: the timer wins
    // the Task.any, the orchestrator continues as new, and the signal behind it is unprocessed.
    advance(600_000);
    await h.whenIdle();
    advance(600_000);
    await h.whenIdle();
    h.close();
    const record = h.get('c3')!;
    const second = host(dir, clock, calls);
    record.inbox.push({ EventType: 11, EventId: -1, IsPlayed: false, Timestamp: new Date().toISOString(), TimerId: record.pendingTimers[0]!.id, FireAt: record.pendingTimers[0]!.fireAt });
    record.inbox.push({ EventType: 15, EventId: -1, IsPlayed: false, Timestamp: new Date().toISOString(), Name: 'signal', Input: JSON.stringify({ add: 9 }) });
    record.pendingTimers = [];
    writeFileSync(join(dir, 'c3.json'), JSON.stringify(record));
    expect(second.resume()).toBe(1);
    await second.whenIdle();
    expect(second.get('c3')!.generation).toBe(1);
    expect(calls).toEqual([]);
    second.close();
  });

  it('fails an orchestration whose custom status is over 16 KB of UTF-16 JSON, as the extension does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rm-durable-'));
    const { clock } = manualClock('2026-11-02T09:00:00Z');
    const h = new DurableHost({ stateDir: dir, clock });
    h.registerOrchestrator('big', createOrchestrator(function* (context: OrchestrationContext) {
      const size = context.df.getInput() as number;
      context.df.setCustomStatus({ text: 'x'.repeat(size) });
      yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 60_000));
      return 'done';
    }) as never);
    h.start('big', 'fits', 8_000);
    h.start('big', 'big', 8_200);
    await h.whenIdle();
    expect(h.get('fits')!.status).toBe('Running');
    expect(h.get('big')).toMatchObject({ status: 'Failed', error: expect.stringMatching(/custom status is 16\d{3} bytes of UTF-16 JSON, over .* 16384/) });
    expect(MAX_CUSTOM_STATUS_BYTES).toBe(16_384);
    h.close();
  });

  it('purges ended instances created before a time, never running ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rm-durable-'));
    const { clock } = manualClock('2026-11-02T09:00:00Z');
    const h = host(dir, clock, []);
    h.start('counter', 'running', null);
    h.start('counter', 'ended', null);
    await h.whenIdle();
    h.raiseEvent('ended', 'signal', { stop: true });
    await h.whenIdle();
    expect(h.get('ended')!.status).toBe('Completed');
    expect(h.purge(new Date('2026-11-01T00:00:00Z'))).toBe(0); // created after: kept
    expect(h.purge(new Date('2026-11-03T00:00:00Z'))).toBe(1);
    expect(h.get('ended')).toBeUndefined();
    expect(h.get('running')!.status).toBe('Running');
    expect(readdirSync(dir).filter((f) => f.endsWith('.json')).sort()).toEqual(['running.json']);
    h.close();
  });
});
