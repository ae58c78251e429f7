/**
 * Operator actions with one meaning each: `approve` approves the ring that awaits an approval its plan
 * requires, and nothing else; lifting the fleet budget is its own action, `approve-budget`, recorded as such.
 */
import { describe, expect, it } from 'vitest';
import { barredApprovers, decide, type ReleaseEvent, type ReleaseState } from '../../src/core';
import { at, newRelease, paymentsFleet, planWith, published, replicated, rollingUpgradeCompleted, run, T0, versionId } from './factories';

const act = (action: 'approve' | 'approve-budget'): ReleaseEvent => ({ kind: 'operator', action, actor: 'cab-chair@contoso.com' });

function start(overrides: Record<string, unknown>): ReleaseState {
  const plan = planWith(overrides);
  const regions = plan.rings.flatMap((r) => r.regions);
  return run(newRelease(plan, versionId('1.7.1'), T0), [paymentsFleet(plan), published('1.7.1', regions), replicated('1.7.1', 'eastus')], T0).state;
}

describe('approve vs approve-budget', () => {
  it('approve while a ring that needs no approval upgrades: refused, and the budget is not lifted', () => {
    const s = start({});
    expect(s.phase).toBe('upgrading');
    const d = decide(s, act('approve'), T0);
    expect(d.cause).toMatch(/^refused: nothing awaits an approval/);
    expect(d.state.rings.some((r) => r.budgetApprovedBy || r.approvedBy)).toBe(false);
  });

  it('a ring over the fleet budget waits for approve-budget; approve is refused and names it', () => {
    const s = start({ budget: { maxInstancesOnUnprovenVersion: 5 } });
    expect(s.phase).toBe('awaiting-approval');
    expect(s.waitingFor).toMatch(/^budget:/);
    const refused = decide(s, act('approve'), T0);
    expect(refused.cause).toMatch(/refused: .*budget.*approve-budget/);
    expect(refused.state.phase).toBe('awaiting-approval');
    const lifted = decide(s, act('approve-budget'), T0);
    expect(lifted.state.rings[0]!.budgetApprovedBy).toBe('cab-chair@contoso.com');
    expect(lifted.state.phase).toBe('upgrading');
    expect(lifted.cause).toMatch(/fleet budget lifted for canary by cab-chair@contoso.com/);
  });

  it('approve on a ring whose plan requires approval opens it; approve-budget there is refused', () => {
    const plan = planWith({});
    const overrides = { rings: plan.rings.map((r, i) => (i === 0 ? { name: r.name, regions: r.regions, soak: r.soak, approval: 'required' } : { name: r.name, regions: r.regions, soak: r.soak, allowPairedRegions: r.allowPairedRegions })) };
    const s = start(overrides);
    expect(s.phase).toBe('awaiting-approval');
    expect(decide(s, act('approve-budget'), T0).cause).toMatch(/^refused: canary awaits its plan's approval, not a budget approval/);
    const ok = decide(s, act('approve'), T0);
    expect(ok.state.rings[0]!.approvedBy).toBe('cab-chair@contoso.com');
    expect(ok.state.rings[0]!.budgetApprovedBy).toBeUndefined();
    expect(ok.state.phase).toBe('upgrading');
  });
});

describe('four eyes (fourEyes: true)', () => {
  const alice = (action: 'promote' | 'approve'): ReleaseEvent => ({ kind: 'operator', action, actor: 'alice@contoso.com' });
  it('whoever promoted the canary cannot approve the next ring; someone else can', () => {
    const base = planWith({});
    const plan = planWith({ fourEyes: true, rings: base.rings.map((r, i) => (i === 1 ? { ...r, approval: 'required' } : r)) });
    const regions = plan.rings.flatMap((r) => r.regions);
    let r = run(newRelease(plan, versionId('1.7.1'), T0), [paymentsFleet(plan), published('1.7.1', regions), replicated('1.7.1', 'eastus'), rollingUpgradeCompleted('vmss-eastus-1', at(1)), rollingUpgradeCompleted('vmss-eastus-2', at(2))], T0);
    expect(r.state.phase).toBe('soaking');
    r = run(r.state, [alice('promote'), { kind: 'wake-up' }], T0);
    expect(r.state.rings[0]!.promotedBy).toBe('alice@contoso.com');
    expect(r.state.phase).toBe('awaiting-approval');
    expect(barredApprovers(r.state)).toEqual([{ actor: 'alice@contoso.com', did: 'promoted', ring: 'canary' }]);
    const refused = decide(r.state, alice('approve'), T0);
    expect(refused.cause).toBe('refused: four eyes — alice@contoso.com promoted canary; someone else must approve early');
    expect(refused.state.phase).toBe('awaiting-approval');
    const approved = decide(r.state, { kind: 'operator', action: 'approve', actor: 'bob@contoso.com' }, T0);
    expect(approved.state.rings[1]!.approvedBy).toBe('bob@contoso.com');
    expect(approved.state.phase).not.toBe('awaiting-approval');
  });

  it('without fourEyes the same person may promote and approve', () => {
    const base = planWith({});
    const plan = planWith({ rings: base.rings.map((r, i) => (i === 1 ? { ...r, approval: 'required' } : r)) });
    const regions = plan.rings.flatMap((r) => r.regions);
    let r = run(newRelease(plan, versionId('1.7.1'), T0), [paymentsFleet(plan), published('1.7.1', regions), replicated('1.7.1', 'eastus'), rollingUpgradeCompleted('vmss-eastus-1', at(1)), rollingUpgradeCompleted('vmss-eastus-2', at(2))], T0);
    r = run(r.state, [alice('promote'), { kind: 'wake-up' }], T0);
    expect(decide(r.state, alice('approve'), T0).state.rings[1]!.approvedBy).toBe('alice@contoso.com');
  });
});
