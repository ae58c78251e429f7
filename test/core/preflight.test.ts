import { describe, expect, it } from 'vitest';
import { isoDurationMs, preflight, type ScaleSetModel } from '../../src/core';
import { IMAGE, loadPlan, scaleSetId } from './factories';

const plan = loadPlan('payments.yaml');
const REGIONS = plan.rings.flatMap((r) => r.regions);

/** A scale set that passes every check; each row below breaks one thing. */
function healthySet(region: string, name = `vmss-${region}-1`): ScaleSetModel {
  return {
    id: scaleSetId(name),
    location: region,
    properties: {
      orchestrationMode: 'Flexible',
      upgradePolicy: {
        mode: 'Automatic',
        automaticOSUpgradePolicy: { enableAutomaticOSUpgrade: true },
        rollingUpgradePolicy: { maxUnhealthyUpgradedInstancePercent: 20, maxSurge: false },
      },
      automaticRepairsPolicy: { enabled: true, gracePeriod: 'PT10M' },
      virtualMachineProfile: {
        storageProfile: { imageReference: { id: IMAGE } },
        extensionProfile: { extensions: [{ name: 'health', properties: { publisher: 'Microsoft.ManagedServices', type: 'ApplicationHealthLinux' } }] },
      },
    },
  };
}

const fleet = () => REGIONS.map((r) => healthySet(r));
type Props = NonNullable<ScaleSetModel['properties']>;
const withProps = (change: (p: Props) => void): ScaleSetModel[] => {
  const sets = fleet();
  change(sets[0]!.properties!);
  return sets;
};

const rows: { name: string; sets: ScaleSetModel[]; targets?: string[]; expected: string[] }[] = [
  { name: 'a clean fleet', sets: fleet(), targets: REGIONS, expected: [] },
  { name: 'pinned image', sets: withProps((p) => (p.virtualMachineProfile!.storageProfile!.imageReference = { id: `${IMAGE}/versions/1.6.4` })), expected: ['image-pinned'] },
  { name: 'marketplace image', sets: withProps((p) => (p.virtualMachineProfile!.storageProfile!.imageReference = { publisher: 'Canonical', offer: 'ubuntu', sku: '22_04-lts', version: 'latest' })), expected: ['not-gallery-image'] },
  { name: 'automatic OS upgrade off', sets: withProps((p) => (p.upgradePolicy!.automaticOSUpgradePolicy = { enableAutomaticOSUpgrade: false })), expected: ['automatic-os-upgrade-off'] },
  { name: 'no health source', sets: withProps((p) => (p.virtualMachineProfile!.extensionProfile = { extensions: [] })), expected: ['no-health-source'] },
  { name: 'two health sources', sets: withProps((p) => (p.virtualMachineProfile!.networkProfile = { healthProbe: { id: '/subscriptions/x/probes/p' } })), expected: ['two-health-sources'] },
  { name: 'MaxSurge on Flex', sets: withProps((p) => (p.upgradePolicy!.rollingUpgradePolicy!.maxSurge = true)), expected: ['max-surge-on-flex'] },
  { name: 'repair grace shorter than warm-up', sets: withProps((p) => (p.automaticRepairsPolicy = { enabled: true, gracePeriod: 'PT2M' })), expected: ['repair-grace-shorter-than-warm-up'] },
  { name: 'threshold looser than the plan', sets: withProps((p) => (p.upgradePolicy!.rollingUpgradePolicy!.maxUnhealthyUpgradedInstancePercent = 50)), expected: ['threshold-looser-than-plan'] },
  { name: 'version not targeted to a ring region', sets: fleet(), targets: REGIONS.filter((r) => r !== 'westus3'), expected: ['region-not-targeted'] },
  { name: 'a ring region with no scale set', sets: fleet().filter((s) => s.location !== 'australiaeast'), expected: ['region-without-scale-sets'] },
];

describe('preflight', () => {
  it.each(rows)('$name → $expected', ({ sets, targets, expected }) => {
    const findings = preflight(plan, sets, targets);
    expect(findings.map((f) => f.id)).toEqual(expected);
    for (const f of findings) {
      expect(f.fix.length).toBeGreaterThan(10);
      expect(f.resource).toBeTruthy();
    }
  });

  it('names the scale set and the fix', () => {
    const [finding] = preflight(plan, rows[1]!.sets);
    expect(finding).toMatchObject({ severity: 'error', resource: scaleSetId('vmss-eastus-1') });
    expect(finding!.fix).toContain('no /versions/ segment');
  });

  it('reads ISO 8601 durations as ARM writes them', () => {
    expect(isoDurationMs('PT30M')).toBe(1_800_000);
    expect(isoDurationMs('PT1H30M')).toBe(5_400_000);
    expect(isoDurationMs('P1DT2S')).toBe(86_402_000);
    expect(isoDurationMs('nonsense')).toBe(0);
  });
});
