/**
 * ARM calls Ringmaster's adapters make, measured against the simulator with the real SDK clients.
 * Figures only; nothing here asserts on time.
 *
 * - fleet read: the scale sets of a 1,200-set fleet through one paged Resource Graph query, versus one GET per set.
 * - calls per port operation of a release (read a version, open a ring by flag, add a region, demote, …).
 */
import { createAzureAdapters } from '../src/azure/adapters';
import { computeClient } from '../src/azure/client-options';
import { loopbackTokenCredential } from '../src/azure/credentials';
import { readAzureSettings } from '../src/azure/settings';
import { type FleetSpecInput, startSimulator } from '../src/sim/index';

const SUB = '00000000-0000-0000-0000-000000000001';
const REGIONS = ['eastus', 'westus3', 'northeurope', 'westeurope', 'southeastasia', 'australiaeast'];
const IMAGE_ID = `/subscriptions/${SUB}/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/galProd/images/payments-api`;

function fleet(setsPerRegion: number): FleetSpecInput {
  return {
    subscriptionId: SUB,
    regions: REGIONS,
    gallery: {
      name: 'galProd',
      resourceGroup: 'rg-images',
      location: 'eastus',
      images: [
        {
          name: 'payments-api',
          versions: [{ version: '1.6.4' }, { version: '1.7.0', targetRegions: REGIONS.map((name) => ({ name, excludeFromLatest: true })) }],
        },
      ],
    },
    scaleSets: [
      {
        name: 'vmss-payments-{region}-{n}',
        resourceGroup: 'rg-payments-{region}',
        countPerRegion: setsPerRegion,
        instances: 1,
        image: 'payments-api',
        upgradePolicy: { mode: 'Rolling', rollingUpgradePolicy: { maxBatchInstancePercent: 20, maxUnhealthyInstancePercent: 20, maxUnhealthyUpgradedInstancePercent: 20, pauseTimeBetweenBatches: 'PT0S', rollbackFailedInstancesOnPolicyBreach: true } },
      },
    ],
  };
}

const total = (calls: Record<string, number>) => Object.values(calls).reduce((a, b) => a + b, 0);

export async function benchAdapters(): Promise<Record<string, number | string>> {
  const sim = await startSimulator({ fleet: fleet(200), seed: 1, manualClock: true, throttling: { enabled: false } });
  const out: Record<string, number | string> = {};
  try {
    const settings = readAzureSettings({ RINGMASTER_ARM_ENDPOINT: sim.url, RINGMASTER_SUBSCRIPTION_IDS: SUB });
    const azure = createAzureAdapters(settings, { caPem: sim.caPem, runtime: { lroPollIntervalMs: 5 } });
    const measure = async (name: string, run: () => Promise<unknown>) => {
      const before = total(sim.calls);
      const started = performance.now();
      await run();
      out[`azure.${name}.armCalls`] = total(sim.calls) - before;
      out[`azure.${name}.ms`] = Math.round(performance.now() - started);
    };

    // 1. Fleet read: Resource Graph (pages of 1,000) vs one GET per scale set.
    let ids: string[] = [];
    await measure('fleetRead.resourceGraph', async () => {
      const sets = await azure.fleet.findScaleSets({ imageId: IMAGE_ID, regions: REGIONS });
      ids = sets.map((s) => s.id);
    });
    out['azure.fleetRead.scaleSets'] = ids.length;
    const connection = { credential: loopbackTokenCredential(sim.url), endpoint: sim.url, caPem: sim.caPem };
    const compute = computeClient(connection, SUB);
    await measure('fleetRead.oneByOne', async () => {
      for (let i = 0; i < ids.length; i += 20) {
        await Promise.all(
          ids.slice(i, i + 20).map((id) => {
            const [, , , rg = '', , , , name = ''] = id.split('/').slice(1);
            return compute.virtualMachineScaleSets.get(rg, name);
          }),
        );
      }
    });
    out['azure.fleetRead.goal'] = 'azure.fleetRead.resourceGraph.armCalls <= 5';

    // 2. Calls per port operation for one release.
    const v170 = `${IMAGE_ID}/versions/1.7.0`;
    const canary = ids.find((id) => id.includes('eastus-1')) ?? ids[0] ?? '';
    await measure('op.getVersion', () => azure.gallery.getVersion(v170));
    await measure('op.openRingByFlag', () => azure.gallery.setRegionalExcludeFromLatest(v170, [{ region: 'eastus', excludeFromLatest: false }]));
    await measure('op.openRingByFlag.again(idempotent)', () => azure.gallery.setRegionalExcludeFromLatest(v170, [{ region: 'eastus', excludeFromLatest: false }]));
    await measure('op.getLatestRollingUpgrade', () => azure.fleet.getLatestRollingUpgrade(canary));
    await measure('op.startOSUpgrade', () => azure.fleet.startOSUpgrade(canary));
    await measure('op.listOSUpgradeHistory', () => azure.fleet.listOSUpgradeHistory(canary));
    await measure('op.demote', () => azure.gallery.demote(v170));
    await measure('op.demote.again(idempotent)', () => azure.gallery.demote(v170));
    out['azure.op.note'] = 'writes = GET, GET (concurrency re-read), PATCH (+ LRO polls), GET (read-back with replication)';
  } finally {
    await sim.close();
  }
  return out;
}
