/**
 * Judging on instance evidence: each instance's Application Health state and the image version it runs,
 * with the instances of the same set still on the previous version as the control group. One named row per
 * rule, each stated as Azure's behaviour demands (see src/core/health.ts `assessInstances` for the rule and
 * its worked examples).
 */
import { describe, expect, it } from 'vitest';
import { assessInstances, type ReleaseEvent, type ReleaseState } from '../../src/core';
import { at, newRelease, paymentsFleet, planWith, published, replicated, rollingUpgradeCompleted, rollingUpgradeFaulted, run, scaleSetId, T0, versionId } from './factories';

type H = 'healthy' | 'unhealthy' | 'unknown';
/** `n` instances on `version`, `bad` of them unhealthy. */
const on = (version: string, n: number, bad: number, from = 0): { id: string; version: string; health: H }[] =>
  Array.from({ length: n }, (_, i) => ({ id: String(from + i), version, health: i < bad ? 'unhealthy' : 'healthy' }));
const instances = (set: string, list: { id: string; version?: string; health: H }[]): ReleaseEvent => ({ kind: 'instances-observed', scaleSetId: scaleSetId(set), instances: list });

describe('assessInstances: the rule', () => {
  const rows: { name: string; list: { id: string; version: string; health: H }[]; verdict: string }[] = [
    { name: 'slow burn: 4 of 10 upgraded unhealthy, no control left → breached', list: on('1.7.0', 10, 4), verdict: 'breached' },
    { name: 'first batch 2 of 2 unhealthy, 8 healthy on 1.6.4 → breached', list: [...on('1.7.0', 2, 2), ...on('1.6.4', 8, 0, 2)], verdict: 'breached' },
    { name: 'unrelated outage: half of each version unhealthy → unrelated (pause, never demote)', list: [...on('1.7.0', 4, 2), ...on('1.6.4', 6, 3, 4)], verdict: 'unrelated' },
    { name: 'whole-set code masking a breach: 4 of 4 upgraded and 3 of 6 old unhealthy → breached', list: [...on('1.7.0', 4, 4), ...on('1.6.4', 6, 3, 4)], verdict: 'breached' },
    { name: '1 of 10 upgraded unhealthy (10 %) → healthy', list: on('1.7.0', 10, 1), verdict: 'healthy' },
    { name: 'one upgraded instance is too few to judge → pending', list: [...on('1.7.0', 1, 1), ...on('1.6.4', 9, 0, 1)], verdict: 'pending' },
  ];
  for (const r of rows) it(r.name, () => expect(assessInstances(20, '1.7.0', r.list).verdict).toBe(r.verdict));

  it('instances being reimaged (unknown) count on neither side', () => {
    const list = [...on('1.7.0', 2, 1), { id: 'x', version: '1.7.0', health: 'unknown' as const }, { id: 'y', version: '1.7.0', health: 'unknown' as const }];
    const v = assessInstances(20, '1.7.0', list);
    expect(v.verdict).toBe('breached');
    expect(v.cause).toMatch(/1 of 2 instances on 1\.7\.0 unhealthy \(50 %\)/);
  });
});

describe('the engine on instance evidence', () => {
  const plan = planWith({});
  const regions = plan.rings.flatMap((r) => r.regions);
  function canaryUpgraded(): ReleaseState {
    const { state } = run(newRelease(plan, versionId('1.7.0'), T0), [paymentsFleet(plan), published('1.7.0', regions), replicated('1.7.0', 'eastus'), rollingUpgradeCompleted('vmss-eastus-1', at(3)), rollingUpgradeCompleted('vmss-eastus-2', at(3))], T0);
    return state;
  }

  it('slow burn in the soak: the canary completed, 40 % of its upgraded instances turn unhealthy → demoted, the next ring never opens', () => {
    const soaking = canaryUpgraded();
    expect(soaking.phase).toBe('soaking');
    const { state, commands } = run(soaking, [instances('vmss-eastus-1', on('1.7.0', 10, 4))], new Date(T0.getTime() + 20 * 60_000));
    expect(state.phase).toBe('demoted');
    expect(commands.map((c) => c.kind)).toContain('demote-version');
    expect(commands.some((c) => c.kind === 'set-regional-exclude' && !c.excludeFromLatest)).toBe(false);
    expect(state.demotion?.cause).toMatch(/instance evidence in vmss-eastus-1 \(eastus\): 4 of 10 instances on 1\.7\.0 unhealthy \(40 %\)/);
  });

  it('a set that already runs the version (created after the region opened) counts as upgraded on its instances, with no rolling upgrade', () => {
    const { state: upgrading } = run(newRelease(plan, versionId('1.7.0'), T0), [paymentsFleet(plan), published('1.7.0', regions), replicated('1.7.0', 'eastus'), rollingUpgradeCompleted('vmss-eastus-1', at(3))], T0);
    expect(upgrading.phase).toBe('upgrading');
    const healthy = run(upgrading, [instances('vmss-eastus-2', on('1.7.0', 10, 0))], new Date(T0.getTime() + 10 * 60_000)).state;
    expect(healthy.phase).toBe('soaking');
    // Not while any instance still runs the previous version; and unhealthy ones over the limit are a breach, not a pass.
    expect(run(upgrading, [instances('vmss-eastus-2', [...on('1.7.0', 9, 0), ...on('1.6.4', 1, 0)])], new Date(T0.getTime() + 10 * 60_000)).state.phase).toBe('upgrading');
    expect(run(upgrading, [instances('vmss-eastus-2', on('1.7.0', 10, 3))], new Date(T0.getTime() + 10 * 60_000)).state.phase).toBe('demoted');
  });

  it('an upgraded-breach fault during an unrelated outage (control equally unhealthy) pauses instead of demoting', () => {
    const { state: upgrading } = run(newRelease(plan, versionId('1.7.0'), T0), [paymentsFleet(plan), published('1.7.0', regions), replicated('1.7.0', 'eastus')], T0);
    const { state, commands } = run(upgrading, [instances('vmss-eastus-1', [...on('1.7.0', 2, 1), ...on('1.6.4', 8, 4, 2)]), rollingUpgradeFaulted('vmss-eastus-1', at(4))], new Date(T0.getTime() + 5 * 60_000), 0);
    expect(commands.map((c) => c.kind)).not.toContain('demote-version');
    expect(state.phase).toBe('paused');
    expect(state.waitingFor).toMatch(/unrelated/);
  });

  it('a whole-set fault that masks an upgraded-only breach demotes', () => {
    const { state: upgrading } = run(newRelease(plan, versionId('1.7.0'), T0), [paymentsFleet(plan), published('1.7.0', regions), replicated('1.7.0', 'eastus')], T0);
    const { state } = run(upgrading, [instances('vmss-eastus-1', [...on('1.7.0', 4, 4), ...on('1.6.4', 6, 3, 4)]), rollingUpgradeFaulted('vmss-eastus-1', at(4), 'MaxUnhealthyInstancePercentExceededInRollingUpgrade', 4)], new Date(T0.getTime() + 5 * 60_000), 0);
    expect(state.phase).toBe('demoted');
  });

  it('evidence from a region that is not open is ignored', () => {
    const soaking = canaryUpgraded();
    const d = run(soaking, [instances('vmss-westus3-1', on('1.7.0', 10, 10))], new Date(T0.getTime() + 20 * 60_000));
    expect(d.state.phase).toBe('soaking');
    expect(d.steps[0]!.cause).toMatch(/ignored/);
  });
});
