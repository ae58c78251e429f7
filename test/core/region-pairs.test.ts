/**
 * Region pairs. Azure never updates both regions of a pair in one phase of its own platform updates; a bad
 * image in both halves of a pair takes away each one's disaster-recovery partner. A ring that holds both is
 * refused, with the split to make, unless the ring opts out (and is then warned about).
 */
import { describe, expect, it } from 'vitest';
import { BUILT_IN_PAIRS, pairedRegion, pairsIn, pairWarnings, preflight, validatePlan } from '../../src/core';
import { planWith } from './factories';

describe('region pairs', () => {
  it('the built-in table knows the pairs both ways', () => {
    expect(pairedRegion('northeurope')).toBe('westeurope');
    expect(pairedRegion('westeurope')).toBe('northeurope');
    expect(pairedRegion('eastus')).toBe('westus');
    expect(pairsIn(['northeurope', 'southeastasia', 'westeurope', 'eastasia'])).toEqual([['northeurope', 'westeurope'], ['southeastasia', 'eastasia']]);
    expect(pairsIn(['eastus', 'westus3'])).toEqual([['eastus', 'westus3']]); // westus3's pair is eastus (one way)
    expect(pairsIn(['eastus', 'northeurope'])).toEqual([]);
  });

  it('a ring holding both halves of a pair is refused, with the split to make', () => {
    const base = planWith({});
    const r = validatePlan({ ...base, rings: [{ name: 'canary', regions: ['eastus'] }, { name: 'broad', regions: ['northeurope', 'westeurope', 'southeastasia'] }] });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      const line = r.errors.map((e) => `${e.path}: ${e.message}`).join('\n');
      expect(line).toMatch(/rings\[1\]\.regions: northeurope and westeurope are an Azure region pair/);
      expect(line).toMatch(/Split the ring: broad-a: \[northeurope, southeastasia\], broad-b: \[westeurope\]/);
      expect(line).toMatch(/allowPairedRegions: true/);
    }
  });

  it('a ring may opt out, and is then warned about', () => {
    const base = planWith({});
    const r = validatePlan({ ...base, rings: [{ name: 'canary', regions: ['eastus'] }, { name: 'broad', regions: ['northeurope', 'westeurope'], allowPairedRegions: true }] });
    expect(r.ok).toBe(true);
    if (r.ok) expect(pairWarnings(r.plan)).toEqual([expect.stringMatching(/^rings\[1\] broad: northeurope and westeurope are an Azure region pair, in one ring \(allowPairedRegions\): westeurope opens once northeurope's upgrades completed healthy/)]);
  });
});

describe('region pairs as ARM lists them (preflight)', () => {
  // ARM's location metadata is the truth; here it pairs two regions the built-in table does not.
  const arm = { ...BUILT_IN_PAIRS, northeurope: 'southeastasia', southeastasia: 'northeurope' };
  const plan = planWith({ rings: [{ name: 'canary', regions: ['eastus'] }, { name: 'broad', regions: ['northeurope', 'southeastasia', 'australiaeast'] }] });

  it('a ring the built-in table lets through is refused when ARM pairs two of its regions, with the split and the source', () => {
    expect(pairsIn(['northeurope', 'southeastasia'])).toEqual([]);
    const findings = preflight(plan, [], undefined, { table: arm, source: 'ARM location metadata of subscription s' }).filter((f) => f.id === 'region-pair-in-ring');
    expect(findings).toEqual([
      {
        id: 'region-pair-in-ring',
        severity: 'error',
        resource: 'northeurope+southeastasia',
        message: 'ring broad: northeurope and southeastasia are an Azure region pair (ARM location metadata of subscription s); Azure never updates both halves of a pair in one phase',
        fix: 'Split the ring: broad-a: [northeurope, australiaeast], broad-b: [southeastasia] — or set allowPairedRegions: true on it.',
      },
    ]);
  });

  it('a ring that opted out (allowPairedRegions) is left to plan validate\'s warning; no pairs given, no pair check', () => {
    const opted = planWith({ rings: [{ name: 'canary', regions: ['eastus'] }, { name: 'broad', regions: ['northeurope', 'southeastasia'], allowPairedRegions: true }] });
    expect(preflight(opted, [], undefined, { table: arm, source: 'ARM' }).filter((f) => f.id === 'region-pair-in-ring')).toEqual([]);
    expect(preflight(plan, []).filter((f) => f.id === 'region-pair-in-ring')).toEqual([]);
  });
});
