/**
 * The waves each ring opens in under the plan's budget and pair rule, when every upgrade completes healthy: the
 * schedule a rehearsal's floor is computed from.
 */
import { describe, expect, it } from 'vitest';
import { ringWaves } from '../../src/core';
import { loadPlan, planWith, scaleSetId } from './factories';

const fleet = (regions: string[], perSet = 10) => regions.flatMap((region) => [1, 2].map((n) => ({ id: scaleSetId(`vmss-${region}-${n}`), region, capacity: perSet })));
const regionsOf = (waves: { regions: string[] }[]) => waves.map((w) => w.regions);

describe('ringWaves', () => {
  const payments = loadPlan('payments.yaml');
  const all = payments.rings.flatMap((r) => r.regions);

  it('payments: one wave per early ring; the broad ring opens westeurope after its pair northeurope', () => {
    const waves = ringWaves(payments, fleet(all));
    expect(waves.map(regionsOf)).toEqual([[['eastus']], [['westus3']], [['northeurope', 'southeastasia', 'australiaeast'], ['westeurope']]]);
    expect(waves.flat().some((w) => w.approval)).toBe(false);
  });

  it('a budget of 50 % alone also forces the second wave; with no budget and no pair, one wave', () => {
    const split = planWith({ rings: [{ name: 'canary', regions: ['eastus'], soak: '30m' }, { name: 'broad', regions: ['northeurope', 'southeastasia', 'australiaeast', 'westus3'], soak: '0s' }] });
    const regions = ['eastus', 'northeurope', 'southeastasia', 'australiaeast', 'westus3'];
    // 100 instances, budget 50: two regions of 20 fit (40); a third would make 60.
    expect(regionsOf(ringWaves(split, fleet(regions))[1]!)).toEqual([['northeurope', 'southeastasia'], ['australiaeast', 'westus3']]);
    const unbounded = planWith({ rings: split.rings, budget: undefined });
    expect(regionsOf(ringWaves(unbounded, fleet(regions))[1]!)).toEqual([['northeurope', 'southeastasia', 'australiaeast', 'westus3']]);
  });

  it('a region larger than the budget is a wave that needs approval', () => {
    const tight = planWith({ budget: { maxInstancesOnUnprovenVersion: 5 } });
    const waves = ringWaves(tight, fleet(all));
    expect(waves[0]).toEqual([{ regions: ['eastus'], approval: true }]);
    expect(waves.flat().every((w) => w.approval && w.regions.length >= 1)).toBe(true);
  });

  it('regions with no scale sets take no budget, yet a pair still opens one half after the other', () => {
    const waves = ringWaves(payments, fleet(['eastus', 'westus3']));
    expect(regionsOf(waves[2]!)).toEqual([['northeurope', 'southeastasia', 'australiaeast'], ['westeurope']]);
  });
});
