/**
 * Drive mode (`drive: on`): Ringmaster starts the OS upgrades itself when a ring opens, instead of waiting
 * 30–60 minutes for the platform to pick the new latest up. The canary is one-box first: one scale set (the
 * smallest), and the rest of the canary only once that set's first batch came back healthy. Later rings start
 * every set at once. `drive: on` is the default; `drive: off` leaves it to the platform.
 */
import { describe, expect, it } from 'vitest';
import { decide, type ReleaseEvent } from '../../src/core';
import { at, newRelease, planWith, published, replicated, rollingUpgradeCompleted, run, scaleSetId, T0, versionId } from './factories';

const minutes = (m: number) => new Date(T0.getTime() + m * 60_000);

function fleet(plan: ReturnType<typeof planWith>): ReleaseEvent {
  return {
    kind: 'fleet-observed',
    scaleSets: plan.rings.flatMap((r) => r.regions).flatMap((region) => [1, 2].map((n) => ({ id: scaleSetId(`vmss-${region}-${n}`), region, capacity: n === 2 ? 6 : 10 }))),
  };
}

const starts = (commands: { kind: string; scaleSetId?: string }[]) => commands.filter((c) => c.kind === 'start-os-upgrade').map((c) => c.scaleSetId!.split('/').at(-1));

describe('drive mode', () => {
  it('opens the canary and starts the smallest set only; the rest once its first batch is healthy', () => {
    const plan = planWith({ drive: 'on' });
    const r = run(newRelease(plan, versionId('1.7.1'), T0), [fleet(plan), published('1.7.1', plan.rings.flatMap((x) => x.regions)), replicated('1.7.1', 'eastus')], T0);
    expect(starts(r.commands)).toEqual(['vmss-eastus-2']);
    const inFlight: ReleaseEvent = { kind: 'rolling-upgrade-observed', scaleSetId: scaleSetId('vmss-eastus-2'), code: 'RollingForward', startTime: at(3), progress: { successful: 0, failed: 0, inProgress: 2, pending: 4 } };
    const notYet = decide(r.state, inFlight, minutes(3)); // the first batch is still being judged
    expect(starts(notYet.commands)).toEqual([]);
    const firstBatch: ReleaseEvent = { kind: 'rolling-upgrade-observed', scaleSetId: scaleSetId('vmss-eastus-2'), code: 'RollingForward', startTime: at(3), progress: { successful: 2, failed: 0, inProgress: 2, pending: 2 } };
    expect(starts(decide(notYet.state, firstBatch, minutes(9)).commands)).toEqual(['vmss-eastus-1']);
  });

  it('later rings go region by region: the smallest set of each open region first, the rest once its first batch is healthy', () => {
    const plan = planWith({ drive: 'on' });
    let r = run(newRelease(plan, versionId('1.7.1'), T0), [fleet(plan), published('1.7.1', plan.rings.flatMap((x) => x.regions)), replicated('1.7.1', 'eastus'), replicated('1.7.1', 'westus3'), rollingUpgradeCompleted('vmss-eastus-2', at(2))], T0);
    r = run(r.state, [rollingUpgradeCompleted('vmss-eastus-1', at(8))], minutes(10));
    expect(r.state.phase).toBe('soaking');
    const next = decide(r.state, { kind: 'wake-up' }, minutes(10 + 31));
    expect(next.state.rings[1]!.opened.westus3).toBeDefined();
    expect(starts(next.commands)).toEqual(['vmss-westus3-2']);
    expect(next.commands.find((c) => c.kind === 'start-os-upgrade')?.cause).toBe('vmss-westus3-2 first in westus3, the smallest set there');
    // A version bad only in westus3 halts that set's first batch there; the other set has not started.
    const judged: ReleaseEvent = { kind: 'rolling-upgrade-observed', scaleSetId: scaleSetId('vmss-westus3-2'), code: 'RollingForward', startTime: at(42), progress: { successful: 2, failed: 0, inProgress: 2, pending: 2 } };
    const rest = decide(next.state, judged, minutes(47));
    expect(starts(rest.commands)).toEqual(['vmss-westus3-1']);
    expect(rest.commands.find((c) => c.kind === 'start-os-upgrade')?.cause).toBe("westus3's first set (vmss-westus3-2) came back healthy from its first batch");
  });

  it('starts the set the plan names first (firstScaleSet), and keeps that choice', () => {
    const base = planWith({});
    const plan = planWith({ drive: 'on', rings: base.rings.map((r, i) => (i === 0 ? { ...r, firstScaleSet: 'vmss-eastus-1' } : r)) });
    const r = run(newRelease(plan, versionId('1.7.1'), T0), [fleet(plan), published('1.7.1', plan.rings.flatMap((x) => x.regions)), replicated('1.7.1', 'eastus')], T0);
    expect(starts(r.commands)).toEqual(['vmss-eastus-1']);
    expect(r.commands.find((c) => c.kind === 'start-os-upgrade')?.cause).toContain('as the plan names it');
    expect(r.state.rings[0]!.oneBox).toBe(scaleSetId('vmss-eastus-1'));
  });

  it('refuses firstScaleSet on any ring but the first', () => {
    const base = planWith({});
    expect(() => planWith({ rings: base.rings.map((r, i) => (i === 1 ? { ...r, firstScaleSet: 'vmss-westus3-1' } : r)) })).toThrow(/rings\[1\]\.firstScaleSet: only the first ring goes one-box/);
  });

  it('drive: off starts nothing itself', () => {
    const plan = planWith({ drive: 'off' });
    const r = run(newRelease(plan, versionId('1.7.1'), T0), [fleet(plan), published('1.7.1', plan.rings.flatMap((x) => x.regions)), replicated('1.7.1', 'eastus')], T0);
    expect(starts(r.commands)).toEqual([]);
  });
});
