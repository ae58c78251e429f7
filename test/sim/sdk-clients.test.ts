import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComputeManagementClient } from '@azure/arm-compute';
import { ResourceGraphClient } from '@azure/arm-resourcegraph';
import { ImageBuilderClient } from '@azure/arm-imagebuilder';
import https from 'node:https';
import { startSimulator, type Simulator } from '../../src/sim';
import { credential, paymentsFleet, SUB } from './helpers';

// TLS trust: the new (core-rest-pipeline) clients take `tlsOptions: { ca }`; the older ms-rest-js based
// ResourceGraphClient takes `agentSettings: { https: new https.Agent({ ca }) }`.
let sim: Simulator;
let compute: ComputeManagementClient;
const poll = { updateIntervalInMs: 20 };

beforeAll(async () => {
  sim = await startSimulator({ fleet: paymentsFleet, manualClock: true });
  compute = new ComputeManagementClient(credential, SUB, {
    endpoint: sim.url,
    credentials: { scopes: ['https://management.azure.com/.default'] },
    tlsOptions: { ca: sim.caPem },
  });
});
afterAll(async () => {
  await sim?.close();
});

/** Moves the manual clock forward in the background while an SDK long-running operation polls. */
async function whileAdvancing<T>(p: Promise<T>, stepMs = 60_000): Promise<T> {
  let done = false;
  const pump = (async () => {
    while (!done) {
      sim.clock.advance(stepMs);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  try {
    return await p;
  } finally {
    done = true;
    await pump;
  }
}

describe('real Azure SDK clients against the simulator', () => {
  it('@azure/arm-compute reads gallery versions with replication status and pages the list', async () => {
    const v = await compute.galleryImageVersions.get('rg-images', 'galProd', 'payments-api', '1.6.4', { expand: 'ReplicationStatus' });
    expect(v.replicationStatus?.aggregatedState).toBe('Completed');
    expect(v.replicationStatus?.summary).toHaveLength(6);
    expect(v.publishingProfile?.targetRegions?.map((r) => r.name)).toContain('East US');
    const names: string[] = [];
    for await (const x of compute.galleryImageVersions.listByGalleryImage('rg-images', 'galProd', 'payments-api')) names.push(x.name ?? '');
    expect(names).toEqual(['1.6.4']);
  });

  it('@azure/arm-compute creates a version (LRO) and PATCHes targetRegions with regional excludeFromLatest', async () => {
    const created = await whileAdvancing(
      compute.galleryImageVersions.createOrUpdate('rg-images', 'galProd', 'payments-api', '1.7.1', {
        location: 'eastus',
        publishingProfile: { targetRegions: [{ name: 'eastus' }, { name: 'westus3', excludeFromLatest: true, regionalReplicaCount: 2 }] },
        storageProfile: { source: { id: `/subscriptions/${SUB}/resourceGroups/rg-images/providers/Microsoft.Compute/images/build-1` } },
      }, poll),
    );
    expect(created.provisioningState).toBe('Succeeded');
    const patched = await whileAdvancing(
      compute.galleryImageVersions.update('rg-images', 'galProd', 'payments-api', '1.7.1', {
        publishingProfile: { targetRegions: [{ name: 'eastus', excludeFromLatest: true }, { name: 'westus3', excludeFromLatest: false }, { name: 'northeurope' }] },
      }, poll),
    );
    expect(patched.publishingProfile?.targetRegions?.map((r) => [r.name, r.excludeFromLatest])).toEqual([
      ['East US', true],
      ['West US 3', false],
      ['North Europe', undefined],
    ]);
    const events = sim.sim.eventLog.filter((e) => e.eventType === 'Microsoft.Resources.ResourceWriteSuccess');
    expect(events.length).toBeGreaterThanOrEqual(2);
    expect(sim.calls.GalleryImageVersions_Update).toBe(1);
  });

  it('@azure/arm-compute reads and lists scale sets, patches the upgrade policy, lists instances with health', async () => {
    const s = await compute.virtualMachineScaleSets.get('rg-payments-eastus', 'vmss-payments-eastus-1');
    expect(s.upgradePolicy?.rollingUpgradePolicy?.maxBatchInstancePercent).toBe(20);
    expect(s.virtualMachineProfile?.storageProfile?.imageReference?.id).toMatch(/images\/payments-api$/);
    const all: string[] = [];
    for await (const x of compute.virtualMachineScaleSets.listAll()) all.push(x.name ?? '');
    expect(all).toHaveLength(12);
    const inRg: string[] = [];
    for await (const x of compute.virtualMachineScaleSets.list('rg-payments-westus3')) inRg.push(x.name ?? '');
    expect(inRg).toEqual(['vmss-payments-westus3-1', 'vmss-payments-westus3-2']);
    const updated = await compute.virtualMachineScaleSets.update('rg-payments-eastus', 'vmss-payments-eastus-2', {
      upgradePolicy: { rollingUpgradePolicy: { pauseTimeBetweenBatches: 'PT5M' } },
    }, poll);
    expect(updated.upgradePolicy?.rollingUpgradePolicy?.pauseTimeBetweenBatches).toBe('PT5M');
    // A Flexible set (the fleet's default): its instances are VMs, listed with the VM API filtered to the set.
    const set = `/subscriptions/${SUB}/resourceGroups/rg-payments-eastus/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-payments-eastus-1`;
    const vms = [];
    for await (const vm of compute.virtualMachines.list('rg-payments-eastus', { filter: `virtualMachineScaleSet/id eq '${set}'`, expand: 'instanceView' })) vms.push(vm);
    expect(vms).toHaveLength(10);
    expect(vms[0]?.instanceView?.vmHealth?.status?.code).toBe('HealthState/healthy');
  });

  it('@azure/arm-compute starts and cancels OS upgrades, reads rolling status and history', async () => {
    // 1.7.1 is latest in westus3 now (regional excludeFromLatest false); a user-started upgrade moves to it.
    // Automatic OS upgrade is switched off on the second set so that only user-started upgrades run there.
    const off = await compute.virtualMachineScaleSets.update('rg-payments-westus3', 'vmss-payments-westus3-2', {
      upgradePolicy: { automaticOSUpgradePolicy: { enableAutomaticOSUpgrade: false } },
    }, poll);
    expect(off.upgradePolicy?.automaticOSUpgradePolicy?.enableAutomaticOSUpgrade).toBe(false);
    await whileAdvancing(compute.virtualMachineScaleSetRollingUpgrades.startOSUpgrade('rg-payments-westus3', 'vmss-payments-westus3-1', poll), 30_000);
    const latest = await compute.virtualMachineScaleSetRollingUpgrades.getLatest('rg-payments-westus3', 'vmss-payments-westus3-1');
    expect(latest.runningStatus?.code).toBe('Completed');
    expect(latest.progress?.successfulInstanceCount).toBe(10);
    const hist = [];
    for await (const h of compute.virtualMachineScaleSets.listOSUpgradeHistory('rg-payments-westus3', 'vmss-payments-westus3-1')) hist.push(h);
    expect(hist[0]?.properties?.startedBy).toBe('User');
    // start on the second set without waiting, then cancel: it stops after the current batch.
    const started = compute.virtualMachineScaleSetRollingUpgrades.startOSUpgrade('rg-payments-westus3', 'vmss-payments-westus3-2', poll);
    await started.submitted();
    await whileAdvancing(compute.virtualMachineScaleSetRollingUpgrades.cancel('rg-payments-westus3', 'vmss-payments-westus3-2', poll), 30_000);
    await expect(started.pollUntilDone()).rejects.toThrow();
    const cancelled = await compute.virtualMachineScaleSetRollingUpgrades.getLatest('rg-payments-westus3', 'vmss-payments-westus3-2');
    expect(cancelled.runningStatus?.code).toBe('Cancelled');
    expect(cancelled.runningStatus?.lastAction).toBe('Cancel');
  });

  it('@azure/arm-resourcegraph finds scale sets with the KQL subset and pages with $skipToken', async () => {
    const graph = new ResourceGraphClient(credential, { baseUri: sim.url, agentSettings: { https: new https.Agent({ ca: sim.caPem }), http: new https.Agent() } } as never);
    const query = `resources | where type =~ 'microsoft.compute/virtualmachinescalesets' | where location in~ ('eastus','westus3') | where properties.virtualMachineProfile.storageProfile.imageReference.id =~ '/subscriptions/${SUB}/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/galProd/images/payments-api' | project id, name, location, properties`;
    const first = await graph.resources({ subscriptions: [SUB], query, options: { top: 3 } });
    expect(first.totalRecords).toBe(4);
    expect(first.count).toBe(3);
    expect(first.skipToken).toBeTruthy();
    const second = await graph.resources({ subscriptions: [SUB], query, options: { top: 3, skipToken: first.skipToken } });
    expect(second.count).toBe(1);
    await expect(graph.resources({ subscriptions: [SUB], query: 'resources | summarize count() by location' })).rejects.toThrow(/summarize/);
  });

  it('@azure/arm-imagebuilder reads a template and runs it, publishing a new gallery version', async () => {
    const aib = new ImageBuilderClient(credential, SUB, { endpoint: sim.url, credentials: { scopes: ['https://management.azure.com/.default'] }, tlsOptions: { ca: sim.caPem } });
    const before = await aib.virtualMachineImageTemplates.get('rg-images', 'payments-api');
    expect(before.lastRunStatus).toBeUndefined();
    await whileAdvancing(aib.virtualMachineImageTemplates.run('rg-images', 'payments-api', poll), 120_000);
    const after = await aib.virtualMachineImageTemplates.get('rg-images', 'payments-api');
    expect(after.lastRunStatus?.runState).toBe('Succeeded');
    expect(sim.fleet.gallery.images.get('payments-api')?.versions.has('1.7.0')).toBe(true);
  });
});
