import { describe, expect, it } from 'vitest';
import { MemoryAzure } from '../../src/azure/memory-ports';
import type { VersionSnapshot } from '../../src/azure/types';

const IMAGE = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/app';
function newVersion(): VersionSnapshot {
  return {
    id: `${IMAGE}/versions/1.7.0`,
    name: '1.7.0',
    imageId: IMAGE,
    excludeFromLatest: false,
    targetRegions: [
      { name: 'eastus', excludeFromLatest: false, regionalReplicaCount: 2 },
      { name: 'westus3', excludeFromLatest: true },
    ],
    replication: [],
  };
}

describe('MemoryAzure (in-memory ports)', () => {
  it('follows the port contract: regional flags, idempotent demotion of both levels, call log', async () => {
    const azure = new MemoryAzure();
    azure.addVersion(newVersion());
    const id = `${IMAGE}/versions/1.7.0`;
    expect((await azure.gallery.setRegionalExcludeFromLatest(id, [{ region: 'West US 3', excludeFromLatest: false }])).changed).toBe(true);
    expect((await azure.gallery.setRegionalExcludeFromLatest(id, [{ region: 'westus3', excludeFromLatest: false }])).changed).toBe(false);
    const d = await azure.gallery.demote(id);
    expect(d.changed).toBe(true);
    expect(d.version.excludeFromLatest).toBe(true);
    expect(d.version.targetRegions.every((t) => t.excludeFromLatest)).toBe(true);
    expect((await azure.gallery.demote(id)).changed).toBe(false);
    expect(azure.calls.map((c) => c.method)).toEqual([
      'gallery.setRegionalExcludeFromLatest',
      'gallery.setRegionalExcludeFromLatest',
      'gallery.demote',
      'gallery.demote',
    ]);
    await expect(azure.gallery.getVersion(`${IMAGE}/versions/9.9.9`)).rejects.toMatchObject({ name: 'NotFound' });
  });

  it('records published events and upgrades', async () => {
    const azure = new MemoryAzure();
    await azure.events.publish('ringmaster.image.version.published', { versionId: `${IMAGE}/versions/1.7.0` });
    expect(azure.published).toEqual([{ type: 'ringmaster.image.version.published', data: { versionId: `${IMAGE}/versions/1.7.0` } }]);
    await azure.fleet.startOSUpgrade('/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/a');
    await azure.fleet.cancelRollingUpgrade('/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/a');
    expect((await azure.fleet.getLatestRollingUpgrade('/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/a'))?.code).toBe('Cancelled');
  });
});
