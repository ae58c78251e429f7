import { describe, expect, it } from 'vitest';
import { scaleSetQuery, toScaleSetInfo } from '../../src/azure/fleet-query';
import { parseKql } from '../../src/sim/kql';
import { fixturesPresent, fixturesSkipReason, readFixture } from './azure-fixtures';

const IMAGE = '/subscriptions/s/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/galProd/images/payments-api';

describe('scale set query', () => {
  it('is one query over every ring region, matching latest and pinned references of exactly this definition', () => {
    const q = scaleSetQuery(IMAGE, ['eastus', 'West US 3', 'eastus']);
    expect(q).toContain("| where location in~ ('eastus', 'westus3')");
    expect(q).toContain(`imageReference.id =~ '${IMAGE}'`);
    expect(q).toContain(`imageReference.id startswith '${IMAGE}/versions/'`);
    expect(() => parseKql(q)).not.toThrow();
  });

  it('escapes quotes in values', () => {
    expect(scaleSetQuery("/x/images/o'brien", [])).toContain("'/x/images/o\\'brien'");
  });
});

describe('toScaleSetInfo (hand-written rows)', () => {
  it('reads pinned versions, both health sources, MaxSurge and the repair grace period', () => {
    const info = toScaleSetInfo({
      id: '/subscriptions/s/resourceGroups/rg-a/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-a',
      name: 'vmss-a',
      location: 'East US',
      sku: { capacity: 12 },
      properties: {
        orchestrationMode: 'Flexible',
        upgradePolicy: { mode: 'Rolling', rollingUpgradePolicy: { maxSurge: true, maxUnhealthyUpgradedInstancePercent: 50 } },
        automaticRepairsPolicy: { enabled: true, gracePeriod: 'PT10M' },
        virtualMachineProfile: {
          storageProfile: { imageReference: { id: `${IMAGE}/versions/1.6.4` } },
          networkProfile: { healthProbe: { id: '/subscriptions/s/.../probes/p' } },
          extensionProfile: { extensions: [{ name: 'h', properties: { type: 'ApplicationHealthWindows' } }] },
        },
      },
    });
    expect(info).toMatchObject({
      region: 'eastus',
      resourceGroup: 'rg-a',
      subscriptionId: 's',
      pinnedVersion: '1.6.4',
      healthSources: ['extension', 'probe'],
      maxSurge: true,
      upgradeMode: 'Rolling',
      automaticOSUpgrade: false,
      repairGracePeriod: 'PT10M',
      capacity: 12,
      rollingPolicy: { maxUnhealthyUpgradedInstancePercent: 50 },
    });
  });
});

describe.skipIf(!fixturesPresent)(`toScaleSetInfo on Azure's own VMSS examples (${fixturesPresent ? 'present' : fixturesSkipReason})`, () => {
  it('maps the MaximumSet list example (every upgrade policy field)', () => {
    const ex = readFixture('azure-examples/vmss-2024-03-01/VirtualMachineScaleSet_List_MaximumSet_Gen.json') as {
      responses: { 200: { body: { value: unknown[] } } };
    };
    const info = toScaleSetInfo(ex.responses[200].body.value[0]);
    expect(info).toMatchObject({
      upgradeMode: 'Automatic',
      automaticOSUpgrade: true,
      maxSurge: true,
      capacity: 4,
      rollingPolicy: { maxBatchInstancePercent: 49, maxUnhealthyInstancePercent: 81, maxUnhealthyUpgradedInstancePercent: 98, rollbackFailedInstancesOnPolicyBreach: true },
    });
    expect(info.repairGracePeriod).toBeDefined();
  });

  it('maps a scale set created from a gallery image definition (tracks latest)', () => {
    const ex = readFixture('azure-examples/vmss-2024-03-01/VirtualMachineScaleSet_Create_FromAGeneralizedSharedImage.json') as {
      responses: { 200: { body: unknown } };
    };
    const info = toScaleSetInfo(ex.responses[200].body);
    expect(info.imageReferenceId).toMatch(/\/galleries\/mySharedGallery\/images\/mySharedImage$/);
    expect(info.pinnedVersion).toBeUndefined();
    expect(info).toMatchObject({ region: 'westus', upgradeMode: 'Manual', capacity: 3, healthSources: [] });
  });
});
