import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Conflict, Forbidden, NotFound, Throttled, Transient } from '../../src/azure/errors';
import { IMAGE_ID, startRig, type TestRig, versionIdOf } from './sim-harness';

let rig: TestRig;
beforeAll(async () => {
  rig = await startRig();
});
afterAll(async () => {
  await rig?.close();
});

const V170 = versionIdOf('1.7.0');
const version170 = () => {
  const v = rig.sim.fleet.gallery.images.get('payments-api')?.versions.get('1.7.0');
  if (!v) throw new Error('fixture: 1.7.0 missing');
  return v;
};

describe('gallery port against the simulator (real @azure/arm-compute)', () => {
  it('reads a version with per-region replication status', async () => {
    const v = await rig.azure.gallery.getVersion(V170);
    expect(v).toMatchObject({ id: V170, name: '1.7.0', imageId: IMAGE_ID, excludeFromLatest: false, aggregatedReplicationState: 'Completed' });
    expect(v.targetRegions).toEqual([
      { name: 'East US', excludeFromLatest: true, regionalReplicaCount: 2, storageAccountType: 'Standard_ZRS' },
      { name: 'West US 3', excludeFromLatest: true, regionalReplicaCount: 1, storageAccountType: 'Premium_LRS' },
    ]);
    expect(v.replication.map((r) => [r.region, r.state, r.progress])).toEqual([
      ['East US', 'Completed', 100],
      ['West US 3', 'Completed', 100],
    ]);
  });

  it('lists the versions of a definition across pages', async () => {
    const before = rig.sim.calls['GalleryImageVersions_ListByGalleryImage'] ?? 0;
    const versions = await rig.azure.gallery.listVersions(IMAGE_ID);
    expect(versions.map((v) => v.name).sort()).toEqual(['1.6.4', '1.7.0']);
    expect((rig.sim.calls['GalleryImageVersions_ListByGalleryImage'] ?? 0) - before).toBe(1);
  });

  it('opens a region by flag, keeping replica counts and storage types of every entry', async () => {
    const r = await rig.azure.gallery.setRegionalExcludeFromLatest(V170, [{ region: 'eastus', excludeFromLatest: false }]);
    expect(r.changed).toBe(true);
    expect(r.version.targetRegions).toEqual([
      { name: 'East US', excludeFromLatest: false, regionalReplicaCount: 2, storageAccountType: 'Standard_ZRS' },
      { name: 'West US 3', excludeFromLatest: true, regionalReplicaCount: 1, storageAccountType: 'Premium_LRS' },
    ]);
    const model = version170().targetRegions.map((t) => [t.region, t.excludeFromLatest, t.regionalReplicaCount, t.storageAccountType]);
    expect(model).toEqual([
      ['eastus', false, 2, 'Standard_ZRS'],
      ['westus3', true, 1, 'Premium_LRS'],
    ]);
  });

  it('is idempotent: the same flag again writes nothing', async () => {
    const patches = rig.sim.calls['GalleryImageVersions_Update'] ?? 0;
    const r = await rig.azure.gallery.setRegionalExcludeFromLatest(V170, [{ region: 'East US', excludeFromLatest: false }]);
    expect(r.changed).toBe(false);
    expect(rig.sim.calls['GalleryImageVersions_Update'] ?? 0).toBe(patches);
  });

  it('refuses a flag for a region that is not a target region', async () => {
    await expect(rig.azure.gallery.setRegionalExcludeFromLatest(V170, [{ region: 'northeurope', excludeFromLatest: false }])).rejects.toBeInstanceOf(
      NotFound,
    );
  });

  it('adds a target region (excluded from latest by default) without touching the others, then replication proceeds', async () => {
    const r = await rig.azure.gallery.addTargetRegions(V170, [{ name: 'northeurope', regionalReplicaCount: 3, storageAccountType: 'Standard_LRS' }]);
    expect(r.changed).toBe(true);
    expect(r.version.targetRegions.map((t) => [t.name, t.excludeFromLatest, t.regionalReplicaCount, t.storageAccountType])).toEqual([
      ['East US', false, 2, 'Standard_ZRS'],
      ['West US 3', true, 1, 'Premium_LRS'],
      ['North Europe', true, 3, 'Standard_LRS'],
    ]);
    expect(r.version.replication.find((x) => x.region === 'North Europe')?.state).toBe('Replicating');
    rig.sim.clock.advance(60 * 60_000);
    const later = await rig.azure.gallery.getVersion(V170);
    expect(later.replication.find((x) => x.region === 'North Europe')?.state).toBe('Completed');
    const again = await rig.azure.gallery.addTargetRegions(V170, [{ name: 'North Europe' }]);
    expect(again.changed).toBe(false);
  });

  it('detects a concurrent change between read and write and recomputes from the newer list', async () => {
    // Another writer opens westus3 just before our pre-write re-read (the 2nd request of this operation).
    const simulation = rig.sim.sim;
    const original = simulation.image.bind(simulation);
    let requests = 0;
    simulation.image = (name: string) => {
      requests++;
      if (requests === 2) {
        const westus3 = version170().targetRegions.find((t) => t.region === 'westus3');
        if (westus3) westus3.excludeFromLatest = false;
      }
      return original(name);
    };
    const gets = rig.sim.calls['GalleryImageVersions_Get'] ?? 0;
    try {
      const r = await rig.azure.gallery.setRegionalExcludeFromLatest(V170, [{ region: 'northeurope', excludeFromLatest: false }]);
      expect(r.changed).toBe(true);
    } finally {
      simulation.image = original;
    }
    // read, re-read (sees the change), re-read again (stable), PATCH, read back.
    expect((rig.sim.calls['GalleryImageVersions_Get'] ?? 0) - gets).toBe(4);
    const model = Object.fromEntries(version170().targetRegions.map((t) => [t.region, t.excludeFromLatest]));
    expect(model).toEqual({ eastus: false, westus3: false, northeurope: false });
  });

  it('gives up with Conflict when the list keeps changing', async () => {
    const simulation = rig.sim.sim;
    const original = simulation.image.bind(simulation);
    let flip = false;
    simulation.image = (name: string) => {
      const t = version170().targetRegions.find((x) => x.region === 'westus3');
      if (t) t.regionalReplicaCount = (flip = !flip) ? 4 : 5;
      return original(name);
    };
    try {
      await expect(rig.azure.gallery.setRegionalExcludeFromLatest(V170, [{ region: 'westus3', excludeFromLatest: true }])).rejects.toBeInstanceOf(Conflict);
    } finally {
      simulation.image = original;
      const t = version170().targetRegions.find((x) => x.region === 'westus3');
      if (t) t.regionalReplicaCount = 1;
    }
  });

  it('demotes: version-level and every regional flag, once', async () => {
    const r = await rig.azure.gallery.demote(V170);
    expect(r.changed).toBe(true);
    expect(r.version.excludeFromLatest).toBe(true);
    expect(r.version.targetRegions.every((t) => t.excludeFromLatest)).toBe(true);
    expect(r.version.targetRegions.map((t) => t.regionalReplicaCount)).toEqual([2, 1, 3]);
    const patches = rig.sim.calls['GalleryImageVersions_Update'] ?? 0;
    const again = await rig.azure.gallery.demote(V170);
    expect(again.changed).toBe(false);
    expect(rig.sim.calls['GalleryImageVersions_Update'] ?? 0).toBe(patches);
  });

  it('maps 404 to NotFound', async () => {
    await expect(rig.azure.gallery.getVersion(versionIdOf('9.9.9'))).rejects.toMatchObject({ name: 'NotFound', statusCode: 404, code: 'ResourceNotFound' });
  });
});

describe('gallery port under injected faults', () => {
  it('honours 429 Retry-After and then succeeds', async () => {
    rig.sim.faults.addArm({ operation: 'GalleryImageVersions_Get', kind: 'throttle', retryAfterSeconds: 7, count: 1 });
    rig.sleeps.length = 0;
    const v = await rig.azure.gallery.getVersion(versionIdOf('1.6.4'));
    expect(v.name).toBe('1.6.4');
    expect(rig.sleeps).toEqual([7000]);
  });

  it('retries a 500 with jittered back-off', async () => {
    rig.sim.faults.addArm({ operation: 'GalleryImageVersions_Get', kind: 'error', status: 500, count: 2 });
    rig.sleeps.length = 0;
    await rig.azure.gallery.getVersion(versionIdOf('1.6.4'));
    expect(rig.sleeps).toHaveLength(2);
    expect(rig.sleeps[0]).toBeGreaterThanOrEqual(250);
    expect(rig.sleeps[0]).toBeLessThanOrEqual(500);
    expect(rig.sleeps[1]).toBeGreaterThanOrEqual(500);
    expect(rig.sleeps[1]).toBeLessThanOrEqual(1000);
  });

  it('surfaces Transient after the bounded attempts', async () => {
    rig.sim.faults.addArm({ operation: 'GalleryImageVersions_Get', kind: 'error', status: 503, count: 4 });
    await expect(rig.azure.gallery.getVersion(versionIdOf('1.6.4'))).rejects.toBeInstanceOf(Transient);
  });

  it('gives up on a Retry-After longer than the cap, as Throttled with the delay', async () => {
    rig.sim.faults.addArm({ operation: 'GalleryImageVersions_Get', kind: 'throttle', retryAfterSeconds: 600, count: 1 });
    const e = await rig.azure.gallery.getVersion(versionIdOf('1.6.4')).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(Throttled);
    expect((e as Throttled).retryAfterMs).toBe(600_000);
  });

  it('maps 403 on the PATCH to Forbidden naming the write action', async () => {
    rig.sim.faults.addArm({ operation: 'GalleryImageVersions_Update', kind: 'error', status: 403, code: 'AuthorizationFailed', count: 1 });
    const e = await rig.azure.gallery.setRegionalExcludeFromLatest(versionIdOf('1.6.4'), [{ region: 'eastus', excludeFromLatest: true }]).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(Forbidden);
    expect((e as Forbidden).action).toBe('Microsoft.Compute/galleries/images/versions/write');
    expect((e as Forbidden).code).toBe('AuthorizationFailed');
    expect((e as Forbidden).message).toContain('Microsoft.Compute/galleries/images/versions/write');
  });

  it('maps 409 to Conflict without retrying', async () => {
    rig.sim.faults.addArm({ operation: 'GalleryImageVersions_Update', kind: 'error', status: 409, code: 'OperationNotAllowed', count: 1 });
    const patches = rig.sim.calls['GalleryImageVersions_Update'] ?? 0;
    await expect(
      rig.azure.gallery.setRegionalExcludeFromLatest(versionIdOf('1.6.4'), [{ region: 'eastus', excludeFromLatest: true }]),
    ).rejects.toBeInstanceOf(Conflict);
    expect((rig.sim.calls['GalleryImageVersions_Update'] ?? 0) - patches).toBe(1);
  });
});

describe('no stacked retries: the SDK policies are off, only ours retries', () => {
  it.each([
    { name: 'arm-compute on 500', op: 'GalleryImageVersions_Get', fault: { kind: 'error' as const, status: 500 } },
    { name: 'arm-compute on 429', op: 'GalleryImageVersions_Get', fault: { kind: 'throttle' as const, retryAfterSeconds: 1 } },
    { name: 'arm-resourcegraph on 429', op: 'Resources', fault: { kind: 'throttle' as const, retryAfterSeconds: 1 } },
  ])('$name: one HTTP call per attempt', async ({ op, fault }) => {
    const { createAzureAdapters } = await import('../../src/azure/adapters');
    const { readAzureSettings } = await import('../../src/azure/settings');
    const azure = createAzureAdapters(readAzureSettings({ RINGMASTER_ARM_ENDPOINT: rig.sim.url, RINGMASTER_SUBSCRIPTION_IDS: rig.sim.fleet.subscriptionId }), {
      caPem: rig.sim.caPem,
      runtime: { policy: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1, retryOn: [] } },
    });
    rig.sim.faults.addArm({ operation: op, ...fault, count: 1 });
    const before = rig.sim.calls[op] ?? 0;
    const call = op === 'Resources' ? azure.fleet.findScaleSets({ imageId: IMAGE_ID, regions: ['eastus'] }) : azure.gallery.getVersion(versionIdOf('1.6.4'));
    await expect(call).rejects.toBeDefined();
    expect((rig.sim.calls[op] ?? 0) - before).toBe(1);
  });
});
