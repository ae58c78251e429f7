/**
 * The opening gates, one row per rule: a ring opens only when every gate allows, and the first that does not
 * says how the release waits (held, with or without a notice and a wake-up) or whom it asks.
 */
import { describe, expect, it } from 'vitest';
import { decide, newRelease, OPENING_GATES, type GateVerdict, type ReleasePlan, type ReleaseState } from '../../src/core';
import { at, paymentsFleet, planWith, published, replicated, rollingUpgradeCompleted, run, T0, versionId } from './factories';

/** A release about to open its first ring (ring 0 chosen, nothing open), with or without its fleet read. */
const atCanary = (p: ReleasePlan, fleet: boolean): ReleaseState => {
  const d = fleet ? decide(newRelease(p, versionId('1.7.1'), T0), paymentsFleet(p), T0).state : newRelease(p, versionId('1.7.1'), T0);
  return { ...d, ring: 0 };
};

const plan = planWith({});
const withFleet = (p: ReleasePlan): ReleaseState => atCanary(p, true);
/** The first gate that does not allow, or the allowing verdict of the last (the regions to open). */
function verdict(d: ReleaseState, now = T0): GateVerdict {
  let last: GateVerdict = { kind: 'allow' };
  for (const gate of OPENING_GATES) {
    last = gate(d, now);
    if (last.kind !== 'allow') return last;
  }
  return last;
}

describe('opening gates', () => {
  it.each<[string, () => ReleaseState, GateVerdict | ((v: GateVerdict) => void)]>([
    ['every gate allows: the budget names the regions to open', () => withFleet(plan), { kind: 'allow', regions: ['eastus'] }],
    ['approval required and not given: ask', () => ({ ...withFleet(planWith({ rings: [{ name: 'canary', regions: ['eastus'], approval: 'required' }] })) }), { kind: 'ask', reason: "canary requires an operator's approval", nextStep: 'Approve the ring to open it.' }],
    [
      'a freeze: held until it ends, with a notice',
      () => withFleet(planWith({ freezes: [{ from: '2026-11-02T08:00:00Z', to: '2026-11-02T12:00:00Z', reason: 'quarter close' }] })),
      (v) => expect(v).toMatchObject({ kind: 'wait', hold: true, until: new Date('2026-11-02T12:00:00Z'), nextStep: expect.stringContaining('2026-11-02T12:00:00.000Z') }),
    ],
    ['no fleet read yet: held without a notice (never open blind)', () => atCanary(plan, false), { kind: 'wait', hold: true, reason: 'canary held: waiting for a fleet read' }],
    [
      'the first region alone is over the budget on an unproven version: ask for approve-budget',
      () => withFleet(planWith({ budget: { maxInstancesOnUnprovenVersion: 5 } })),
      (v) => expect(v).toMatchObject({ kind: 'ask', reason: expect.stringContaining('above the limit of 5') }),
    ],
    [
      'the budget is used by open regions: wait for them, not held',
      () => {
        const d = withFleet(planWith({ budget: { maxInstancesOnUnprovenVersion: 20 }, rings: [{ name: 'canary', regions: ['eastus', 'northeurope'] }] }));
        d.rings[0]!.opened = { eastus: T0.toISOString() };
        return d;
      },
      (v) => expect(v).toMatchObject({ kind: 'wait', hold: false, reason: expect.stringContaining('waiting for open regions to finish before northeurope') }),
    ],
    [
      'a ring that holds an Azure pair (allowPairedRegions) opens one half, not both',
      () => withFleet(planWith({ budget: undefined, rings: [{ name: 'canary', regions: ['northeurope', 'westeurope', 'southeastasia'], allowPairedRegions: true }] })),
      { kind: 'allow', regions: ['northeurope', 'southeastasia'] },
    ],
    [
      'the second half of a pair waits while the first is still upgrading, whatever the budget',
      () => {
        const d = withFleet(planWith({ budget: undefined, rings: [{ name: 'canary', regions: ['northeurope', 'westeurope'], allowPairedRegions: true }] }));
        d.rings[0]!.opened = { northeurope: T0.toISOString() };
        return d;
      },
      { kind: 'wait', hold: false, reason: 'westeurope waits for its Azure pair northeurope to finish upgrading' },
    ],
    [
      'and opens once the first half’s upgrades completed healthy',
      () => {
        const d = withFleet(planWith({ budget: undefined, rings: [{ name: 'canary', regions: ['northeurope', 'westeurope'], allowPairedRegions: true }] }));
        d.rings[0]!.opened = { northeurope: T0.toISOString() };
        d.rings[0]!.upgraded = { northeurope: T0.toISOString() };
        return d;
      },
      { kind: 'allow', regions: ['westeurope'] },
    ],
  ])('%s', (_rule, state, expected) => {
    const v = verdict(state());
    if (typeof expected === 'function') expected(v);
    else expect(v).toEqual(expected);
  });

  it('names the pair it keeps apart as a finding when the first half opens', () => {
    const p = planWith({ budget: undefined, rings: [{ name: 'canary', regions: ['northeurope', 'westeurope'], allowPairedRegions: true }] });
    const d = decide(decide(newRelease(p, versionId('1.7.1'), T0), paymentsFleet(p), T0).state, published('1.7.1', ['northeurope', 'westeurope']), T0);
    expect(Object.keys(d.state.rings[0]!.opened)).toEqual(['northeurope']);
    expect(d.state.findings).toContain("northeurope and westeurope are an Azure region pair: westeurope opens once northeurope's upgrades completed healthy");
  });

  it('a freeze holds the ring once (no repeated transition) and wakes the release at its end, when it opens', () => {
    const p = planWith({ freezes: [{ from: '2026-11-02T08:00:00Z', to: '2026-11-02T12:00:00Z' }] });
    const d = decide(decide(newRelease(p, versionId('1.7.1'), T0), paymentsFleet(p), T0).state, published('1.7.1', ['eastus', 'westus3']), T0);
    expect(d.state.phase).toBe('held');
    expect(d.state.wakeAt).toBe('2026-11-02T12:00:00.000Z');
    expect(d.state.waitingFor).toMatch(/^canary held: /);
    const again = decide(d.state, { kind: 'wake-up' }, new Date(T0.getTime() + 60_000));
    expect(again.commands).toEqual([]);
    expect(again.state.transitions).toHaveLength(d.state.transitions.length);
    const after = decide(again.state, { kind: 'wake-up' }, new Date('2026-11-02T12:00:00Z'));
    expect(after.state.phase).toBe('opening');
  });
});

describe("a hold's wake is its own", () => {
  it('a ring held by a gate with no end waits for the idle poll, not for the wake of the phase before it', () => {
    const regions = plan.rings.flatMap((r) => r.regions);
    const canary = run(newRelease(plan, versionId('1.7.1'), T0), [paymentsFleet(plan), published('1.7.1', regions), replicated('1.7.1', 'eastus'), rollingUpgradeCompleted('vmss-eastus-1', at(1)), rollingUpgradeCompleted('vmss-eastus-2', at(2))], T0).state;
    expect(canary.phase).toBe('soaking');
    // The soak's next evidence read is still ahead when the operator ends it; the early ring then meets a gate that
    // holds with no end (no fleet read: never open blind).
    expect(Date.parse(canary.wakeAt!)).toBeGreaterThan(Date.parse(at(5)));
    const d = decide({ ...canary, fleetObserved: false }, { kind: 'operator', action: 'promote', actor: 'alice@contoso.com' }, new Date(at(5)));
    expect(d.state.phase).toBe('held');
    expect(d.state.waitingFor).toBe('early held: waiting for a fleet read');
    expect(d.state.wakeAt).toBeUndefined();
  });
});
