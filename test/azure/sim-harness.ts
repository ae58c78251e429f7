/**
 * Starts the fleet simulator and builds the real ports over the real SDK clients against it (HTTPS on 127.0.0.1,
 * the simulator's CA trusted per client, static loopback token). Sleeps are recorded, not slept, so Retry-After
 * and back-off are asserted without waiting.
 */
import { createAzureAdapters, type AzureAdapters } from '../../src/azure/adapters';
import { DEFAULT_RETRY_POLICY } from '../../src/azure/retry';
import { mulberry32 } from '../../src/sim/prng';
import { readAzureSettings } from '../../src/azure/settings';
import { type FleetSpecInput, type Simulator, startSimulator } from '../../src/sim/index';

export const SUB = '00000000-0000-0000-0000-000000000001';
export const IMAGE_ID = `/subscriptions/${SUB}/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/galProd/images/payments-api`;
export const versionIdOf = (v: string) => `${IMAGE_ID}/versions/${v}`;
export const scaleSetIdOf = (rg: string, name: string) =>
  `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachineScaleSets/${name}`;
export const TEMPLATE_ID = `/subscriptions/${SUB}/resourceGroups/rg-images/providers/Microsoft.VirtualMachineImages/imageTemplates/payments-api`;

const rollingPolicy = {
  mode: 'Rolling' as const,
  rollingUpgradePolicy: {
    maxBatchInstancePercent: 20,
    maxUnhealthyInstancePercent: 20,
    maxUnhealthyUpgradedInstancePercent: 20,
    pauseTimeBetweenBatches: 'PT0S',
    rollbackFailedInstancesOnPolicyBreach: true,
  },
  automaticOSUpgradePolicy: { enableAutomaticOSUpgrade: true, useRollingUpgradePolicy: true },
};

/** A small payments fleet: 3 regions, 2 sets per region on latest, one pinned set, one set of another image. */
export function paymentsFleet(overrides: Partial<FleetSpecInput> = {}): FleetSpecInput {
  return {
    subscriptionId: SUB,
    regions: ['eastus', 'westus3', 'northeurope'],
    gallery: {
      name: 'galProd',
      resourceGroup: 'rg-images',
      location: 'eastus',
      images: [
        {
          name: 'payments-api',
          versions: [
            { version: '1.6.4' },
            {
              version: '1.7.0',
              targetRegions: [
                { name: 'eastus', regionalReplicaCount: 2, storageAccountType: 'Standard_ZRS', excludeFromLatest: true },
                { name: 'westus3', regionalReplicaCount: 1, storageAccountType: 'Premium_LRS', excludeFromLatest: true },
              ],
            },
          ],
        },
        { name: 'payments-api2', versions: [{ version: '2.0.0' }] },
      ],
    },
    scaleSets: [
      { name: 'vmss-payments-{region}-{n}', resourceGroup: 'rg-payments-{region}', countPerRegion: 2, instances: 5, image: 'payments-api', upgradePolicy: rollingPolicy },
      { name: 'vmss-pinned-{region}', resourceGroup: 'rg-pinned', regions: ['eastus'], instances: 2, image: 'payments-api', pinnedVersion: '1.6.4', healthSource: 'both', upgradePolicy: rollingPolicy },
      { name: 'vmss-other-{region}', resourceGroup: 'rg-other', regions: ['eastus'], instances: 2, image: 'payments-api2' },
    ],
    imageTemplates: [{ name: 'payments-api', resourceGroup: 'rg-images', image: 'payments-api', buildDuration: '45m', versions: ['1.7.1'] }],
    behaviour: { replicationTime: '20m', regionStagger: '1m', reimageDuration: '1m', healthSettle: '1m', detectionDelay: '1h' },
    ...overrides,
  };
}

export interface TestRig {
  sim: Simulator;
  azure: AzureAdapters;
  /** Every wait the ports asked for, in ms. */
  sleeps: number[];
  close(): Promise<void>;
}

export async function startRig(fleet: FleetSpecInput = paymentsFleet(), opts: { speed?: number; manualClock?: boolean } = {}): Promise<TestRig> {
  const sim = await startSimulator({ fleet, seed: 11, manualClock: opts.manualClock ?? true, ...(opts.speed ? { speed: opts.speed } : {}) });
  const sleeps: number[] = [];
  const settings = readAzureSettings({
    RINGMASTER_ARM_ENDPOINT: sim.url,
    RINGMASTER_SUBSCRIPTION_IDS: SUB,
    RINGMASTER_EVENTGRID_TOPIC_ENDPOINT: sim.topic.endpoint,
    RINGMASTER_EVENTGRID_TOPIC_KEY: sim.topic.key,
  });
  const azure = createAzureAdapters(settings, {
    caPem: sim.caPem,
    eventSource: '/ringmaster/test',
    runtime: {
      lroPollIntervalMs: 5,
      sleep: async (ms) => void sleeps.push(ms),
      random: mulberry32(3),
      policy: { ...DEFAULT_RETRY_POLICY, maxAttempts: 4 },
    },
  });
  return { sim, azure, sleeps, close: () => sim.close() };
}
