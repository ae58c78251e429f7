/**
 * Adaptive polling: a release reads the rolling upgrades of its sets by itself only while an upgrade the platform
 * started rolls forward (Azure raises no event when it halts), every `health.pollEvery`, never faster than ARM's
 * read budget allows; upgrades Ringmaster started are reported by `ResourceActionFailure`, soaks by instance
 * evidence, and the rest by the watcher's one-minute safety net.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { budgetFloorMs, decide, pollCadence, READ_BUDGET, type ReleaseState } from '../../src/core';
import { at, newRelease, paymentsFleet, planWith, published, replicated, rollingForward, run, scaleSetId, T0, versionId } from './factories';

const minutes = (m: number) => new Date(T0.getTime() + m * 60_000);

/** The payments release with drive off, the canary open and replicated: waiting for the platform's pickup. */
function canaryOpen(overrides: Record<string, unknown> = {}): ReleaseState {
  const plan = planWith({ drive: 'off', ...overrides });
  return run(newRelease(plan, versionId('1.7.1'), T0), [paymentsFleet(plan), published('1.7.1', plan.rings.flatMap((r) => r.regions)), replicated('1.7.1', 'eastus')], T0).state;
}

describe('poll cadence', () => {
  it('is quiet while nothing rolls: the platform has not picked the version up', () => {
    const s = canaryOpen();
    expect(s.phase).toBe('upgrading');
    expect(pollCadence(s)).toEqual({ phase: 'quiet', scaleSetIds: [] });
  });

  it('judges a platform-started upgrade every pollEvery, and the release wakes for it', () => {
    const s = canaryOpen();
    const d = decide(s, rollingForward('vmss-eastus-1', at(40)), minutes(41));
    const c = pollCadence(d.state);
    expect(c).toEqual({ phase: 'judging', scaleSetIds: [scaleSetId('vmss-eastus-1')], everyMs: 30_000 });
    expect(d.state.wakeAt).toBe(new Date(minutes(41).getTime() + 30_000).toISOString());
  });

  it('takes the plan’s pollEvery, and refuses one outside 10s–5m', () => {
    const d = decide(canaryOpen({ health: { ...planWith({}).health, pollEvery: '15s' } }), rollingForward('vmss-eastus-1', at(40)), minutes(41));
    expect(pollCadence(d.state).everyMs).toBe(15_000);
    expect(() => planWith({ health: { ...planWith({}).health, pollEvery: '2s' } })).toThrow(/health\.pollEvery: expected a duration from 10s to 5m/);
  });

  it('polls drive mode\'s first set while the others wait for its first batch, then no upgrade Ringmaster started (Azure raises ResourceActionFailure when one fails)', () => {
    const plan = planWith({ drive: 'on' });
    let r = run(newRelease(plan, versionId('1.7.1'), T0), [paymentsFleet(plan), published('1.7.1', plan.rings.flatMap((x) => x.regions)), replicated('1.7.1', 'eastus')], T0);
    const started = r.commands.find((c) => c.kind === 'start-os-upgrade');
    expect(started).toBeDefined();
    const id = (started as { scaleSetId: string }).scaleSetId;
    // Started, its upgrade not yet read back: polled all the same (waiting for the next event would leave the
    // others idle until instance evidence, minutes later).
    expect(pollCadence(r.state)).toMatchObject({ phase: 'judging', scaleSetIds: [id] });
    const batch = (successful: number, inProgress: number): ReleaseEvent => ({ kind: 'rolling-upgrade-observed', scaleSetId: id, code: 'RollingForward', startTime: at(3), progress: { successful, failed: 0, inProgress, pending: 10 - successful - inProgress } });
    r = run(r.state, [batch(0, 2)], minutes(4));
    expect(pollCadence(r.state)).toMatchObject({ phase: 'judging', scaleSetIds: [id], everyMs: 30_000 });
    r = run(r.state, [batch(2, 2)], minutes(9)); // healthy first batch: the other canary set starts
    expect(r.commands.filter((c) => c.kind === 'start-os-upgrade')).toHaveLength(1);
    expect(pollCadence(r.state).phase).toBe('quiet');
  });

  it('is quiet while the ring soaks (instance evidence is read every evidenceEvery instead)', () => {
    let s = decide(canaryOpen(), rollingForward('vmss-eastus-1', at(40)), minutes(41)).state;
    for (const n of [1, 2]) s = decide(s, { kind: 'rolling-upgrade-observed', scaleSetId: scaleSetId(`vmss-eastus-${n}`), code: 'Completed', startTime: at(40), progress: { successful: 10, failed: 0, inProgress: 0, pending: 0 } }, minutes(80)).state;
    expect(s.phase).toBe('soaking');
    expect(pollCadence(s).phase).toBe('quiet');
  });

  it('slows down to the subscription budget when many sets are watched', () => {
    // 40 sets in one subscription: 41 reads a poll (the version too) at 20 reads a minute is one poll every 123 s.
    expect(budgetFloorMs([41])).toBe(123_000);
    expect(budgetFloorMs([1])).toBeCloseTo(60_000 / 11, 3);
  });

  it('never exceeds ARM’s read budget per scale set and per subscription, whatever the fleet', () => {
    const perSetLimit = READ_BUDGET.rollingStatusReadsPerSetPerMinute - READ_BUDGET.watcherReadsPerSetPerMinute;
    const perSubscriptionLimit = (READ_BUDGET.subscriptionReadsPerHour / 60) * READ_BUDGET.releaseShare;
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 50 }), (setsPerSubscription, cap) => {
        const reads = setsPerSubscription.map((n) => Math.min(n, cap) + 1);
        const every = budgetFloorMs(reads);
        for (const r of reads) expect((r * 60_000) / every).toBeLessThanOrEqual(perSubscriptionLimit + 1e-9);
        expect(60_000 / every).toBeLessThanOrEqual(perSetLimit + 1e-9);
      }),
    );
  });

  it('keeps a ring of many platform-started upgrades inside the budget', () => {
    const plan = planWith({ drive: 'off' });
    const many: ReleaseEvent = {
      kind: 'fleet-observed',
      scaleSets: plan.rings.flatMap((r) => r.regions.flatMap((region) => Array.from({ length: 30 }, (_, i) => ({ id: scaleSetId(`vmss-${region}-${i + 1}`), region, capacity: 10 })))),
    };
    let s = run(newRelease(plan, versionId('1.7.1'), T0), [many, published('1.7.1', plan.rings.flatMap((r) => r.regions)), replicated('1.7.1', 'eastus')], T0).state;
    s = decide(s, rollingForward('vmss-eastus-1', at(40)), minutes(41)).state;
    const c = pollCadence(s);
    // 30 watched sets and the version: 31 reads a poll, 20 a minute at most.
    expect(c.everyMs).toBe(93_000);
  });
});

type ReleaseEvent = Parameters<typeof decide>[1];
