/**
 * The engine's judgement rules, one named row each, stated as Azure defines them:
 * `maxUnhealthyUpgradedInstancePercent` is a share of the instances already upgraded, not of the whole set;
 * an unknown rolling-upgrade code is inconclusive (pause, never a crash, never a promotion); any plan the
 * schema accepts is decidable (durations are bounded).
 */
import { describe, expect, it } from 'vitest';
import { assessUpgrade, decide, unhealthyUpgradedPercent, validatePlan, type ReleaseEvent, type RollingUpgradeCode } from '../../src/core';
import { paymentsFleet, planWith, published, run, scaleSetId, versionId } from './factories';
import { newRelease } from '../../src/core';

const T0 = new Date('2026-11-02T09:00:00Z');

describe('the upgraded-share denominator (Azure: a share of the upgraded instances)', () => {
  const rows: { name: string; progress: { successful: number; failed: number; inProgress: number; pending: number }; percent: number }[] = [
    { name: '1 of 4 upgraded unhealthy, 6 pending → 25 %', progress: { successful: 3, failed: 1, inProgress: 0, pending: 6 }, percent: 25 },
    { name: '2 of 6 upgraded unhealthy, 2 in progress, 2 pending → 33.3 %', progress: { successful: 4, failed: 2, inProgress: 2, pending: 2 }, percent: 100 / 3 },
    { name: 'the first batch of 2, both unhealthy → 100 %', progress: { successful: 0, failed: 2, inProgress: 0, pending: 8 }, percent: 100 },
    { name: 'nothing upgraded yet → 0 %', progress: { successful: 0, failed: 0, inProgress: 2, pending: 8 }, percent: 0 },
  ];
  for (const r of rows) it(r.name, () => expect(unhealthyUpgradedPercent(r.progress)).toBeCloseTo(r.percent, 5));

  it('loose set thresholds: 1 of 4 upgraded unhealthy breaches the plan\'s 20 % while the set rolls forward', () => {
    const plan = planWith({});
    const v = assessUpgrade(plan, { kind: 'rolling-upgrade-observed', scaleSetId: scaleSetId('vmss-eastus-1'), code: 'RollingForward', progress: { successful: 3, failed: 1, inProgress: 0, pending: 6 } }, false);
    expect(v.verdict).toBe('breached');
    expect(v.cause).toMatch(/1 of 4 upgraded instances unhealthy \(25 %/);
  });
});

describe('decide is total', () => {
  it('an unknown rolling-upgrade code pauses as inconclusive, naming the code', () => {
    const plan = planWith({});
    const start = newRelease(plan, versionId('1.7.1'), T0);
    const { state } = run(start, [paymentsFleet(plan), published('1.7.1', plan.rings.flatMap((r) => r.regions)), { kind: 'replication-observed', versionId: versionId('1.7.1'), region: 'eastus', state: 'Completed' }], T0);
    expect(state.phase).toBe('upgrading');
    const odd = { kind: 'rolling-upgrade-observed', scaleSetId: scaleSetId('vmss-eastus-1'), code: 'RollingBackward' as RollingUpgradeCode, startTime: new Date(T0.getTime() + 60_000).toISOString(), progress: { successful: 0, failed: 0, inProgress: 2, pending: 8 } } satisfies ReleaseEvent;
    const d = decide(state, odd, new Date(T0.getTime() + 120_000));
    expect(d.state.phase).toBe('paused');
    expect(d.cause).toMatch(/RollingBackward/);
  });

  it('durations are bounded by the schema: a soak of 999999999d is refused with its path', () => {
    const result = validatePlan({ ...planWith({}), rings: [{ name: 'canary', regions: ['eastus'], soak: '999999999d' }] });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.map((e) => `${e.path}: ${e.message}`).join('\n')).toMatch(/rings\[0\]\.soak: .*at most 30d/);
  });
});
