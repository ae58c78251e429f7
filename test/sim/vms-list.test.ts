// VirtualMachineScaleSetVMs_List with $expand=instanceView: per-instance version (imageReference.exactVersion) and
// Application Health (instanceView.vmHealth.status.code), paged by 50 with nextLink, counted and throttled like the
// other reads; the body validates against ComputeRP 2024-03-01 and the real @azure/arm-compute client reads it.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComputeManagementClient } from '@azure/arm-compute';
import { startSimulator, type FleetSpecInput, type Simulator } from '../../src/sim';
import { OpenApi } from './openapi-validator';
import { credential, fixturesDir, request, SUB } from './helpers';

const FIX = fixturesDir();
const VMSS = 'azure-specs/compute/specification/compute/resource-manager/Microsoft.Compute/ComputeRP/stable/2024-03-01/virtualMachineScaleSet.json';
const IMAGE = `/subscriptions/${SUB}/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/galProd/images/api`;
const SETS = `/subscriptions/${SUB}/resourceGroups/rg-api/providers/Microsoft.Compute/virtualMachineScaleSets`;
const CV = '?api-version=2024-03-01';
const M = 60_000;

interface Vm {
  id: string;
  name: string;
  instanceId: string;
  location: string;
  properties: {
    latestModelApplied: boolean;
    provisioningState: string;
    storageProfile: { imageReference: { id: string; exactVersion: string } };
    instanceView?: { vmHealth?: { status: { code: string } } };
  };
}
interface VmPage {
  value: Vm[];
  nextLink?: string;
}

/** One region, a Uniform set of 120 (three pages) and a Flexible set of 10; 1.1.0 burns 40 % of `big` 20 minutes after reimage. */
const fleet: FleetSpecInput = {
  subscriptionId: SUB,
  seed: 3,
  regions: ['eastus'],
  gallery: { name: 'galProd', resourceGroup: 'rg-images', location: 'eastus', images: [{ name: 'api', versions: [{ version: '1.0.0' }] }] },
  scaleSets: [
    { name: 'big', resourceGroup: 'rg-api', instances: 120, orchestrationMode: 'Uniform', image: 'api', upgradePolicy: { mode: 'Rolling', rollingUpgradePolicy: { maxBatchInstancePercent: 20, maxUnhealthyUpgradedInstancePercent: 100, maxUnhealthyInstancePercent: 100 }, automaticOSUpgradePolicy: { enableAutomaticOSUpgrade: true } } },
    { name: 'flex', resourceGroup: 'rg-api', instances: 10, orchestrationMode: 'Flexible', image: 'api' },
  ],
  health: [{ version: '1.1.0', scaleSets: ['big'], unhealthyPercent: 40, afterUpgrade: '20m' }],
  behaviour: { detectionDelay: '10m', detectionJitter: '0s', replicationTime: '10m' },
  timeline: [{ at: '1m', action: 'publishVersion', image: 'api', version: '1.1.0' }],
};

let sim: Simulator;
const get = async (path: string) => request(path.startsWith('https:') ? path : `${sim.url}${path}`, sim.caPem);
async function all(path: string): Promise<{ pages: VmPage[]; vms: Vm[] }> {
  const pages: VmPage[] = [];
  let next: string | undefined = path;
  while (next) {
    const r = await get(next);
    expect(r.status, r.text.slice(0, 300)).toBe(200);
    const p = r.json as VmPage;
    pages.push(p);
    next = p.nextLink;
  }
  return { pages, vms: pages.flatMap((p) => p.value) };
}

beforeAll(async () => {
  sim = await startSimulator({ fleet, manualClock: true });
});
afterAll(async () => sim?.close());

describe('VirtualMachineScaleSetVMs_List', () => {
  it('before any upgrade: each VM names its instance, the definition it tracks, the version it runs and its health', async () => {
    const { pages, vms } = await all(`${SETS}/big/virtualMachines${CV}&$expand=instanceView`);
    expect(pages.map((p) => p.value.length)).toEqual([50, 50, 20]);
    expect(pages[0]?.nextLink).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/subscriptions\/.+\/virtualMachineScaleSets\/big\/virtualMachines\?/);
    expect(pages[0]?.nextLink).toContain('%24expand=instanceView');
    expect(pages[2]?.nextLink).toBeUndefined();
    expect(new Set(vms.map((v) => v.instanceId)).size).toBe(120);
    expect(vms[0]).toMatchObject({
      instanceId: '0',
      name: 'big_0',
      id: `${SETS}/big/virtualMachines/0`,
      location: 'eastus',
      properties: {
        latestModelApplied: true,
        storageProfile: { imageReference: { id: IMAGE, exactVersion: '1.0.0' } },
        instanceView: { vmHealth: { status: { code: 'HealthState/healthy' } } },
      },
    });
  });

  it('without $expand there is no instance view; another $expand is refused', async () => {
    const { vms } = await all(`${SETS}/big/virtualMachines${CV}`);
    expect(vms).toHaveLength(120);
    expect(vms.every((v) => v.properties.instanceView === undefined)).toBe(true);
    const bad = await get(`${SETS}/big/virtualMachines${CV}&$expand=userData`);
    expect(bad.status).toBe(400);
  });

  it('is refused on a Flexible set, as Azure does: its instances are VMs of their own', async () => {
    const r = await get(`${SETS}/flex/virtualMachines${CV}&$expand=instanceView`);
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ error: { code: 'BadRequest', message: "Operation 'VirtualMachineScaleSets.virtualMachines.GET' is not allowed on Virtual Machine Scale Set flex." } });
  });

  it('during a rollout: upgraded instances run the new exactVersion, reimaging ones report unknown, the rest the old model', async () => {
    // 1.1.0 replicates by ~11m, detection 10m later: the upgrade starts ~21m; the first batch (24) reimages for 3m.
    let vms: Vm[] = [];
    const reimaging = (v: Vm): boolean => v.properties.provisioningState === 'Updating';
    for (let i = 0; i < 60 && !vms.some(reimaging); i++) {
      sim.clock.advance(30_000);
      vms = (await all(`${SETS}/big/virtualMachines${CV}&$expand=instanceView`)).vms;
    }
    const batch = vms.filter(reimaging);
    expect(batch).toHaveLength(24);
    expect(batch.every((v) => v.properties.instanceView?.vmHealth?.status.code === 'HealthState/unknown')).toBe(true);
    const rest = vms.filter((v) => !reimaging(v));
    expect(rest.every((v) => v.properties.storageProfile.imageReference.exactVersion === '1.0.0' && !v.properties.latestModelApplied)).toBe(true);
    expect(rest.every((v) => v.properties.instanceView?.vmHealth?.status.code === 'HealthState/healthy')).toBe(true);
    sim.clock.advance(4 * M); // reimaged, health settling: the batch runs 1.1.0 and still reports unknown
    const settling = (await all(`${SETS}/big/virtualMachines${CV}&$expand=instanceView`)).vms.filter((v) => v.properties.storageProfile.imageReference.exactVersion === '1.1.0');
    expect(settling).toHaveLength(24);
    expect(settling.every((v) => v.properties.latestModelApplied && v.properties.instanceView?.vmHealth?.status.code === 'HealthState/unknown')).toBe(true);
  });

  it('after the rollout: 40 % of the set turns unhealthy 20 minutes after reimage (the list shows a slow burn)', async () => {
    sim.clock.advance(3 * 60 * M);
    const { vms } = await all(`${SETS}/big/virtualMachines${CV}&$expand=instanceView`);
    expect(vms.every((v) => v.properties.storageProfile.imageReference.exactVersion === '1.1.0' && v.properties.latestModelApplied)).toBe(true);
    const codes = vms.map((v) => v.properties.instanceView?.vmHealth?.status.code);
    expect(codes.filter((c) => c === 'HealthState/unhealthy')).toHaveLength(48);
    expect(codes.filter((c) => c === 'HealthState/healthy')).toHaveLength(72);
  });

  it.skipIf(!FIX)('validates against the ComputeRP 2024-03-01 schema (a page with nextLink, instance views of every health)', async () => {
    const api = new OpenApi(join(FIX ?? '', VMSS));
    const r = await get(`${SETS}/big/virtualMachines${CV}&$expand=instanceView`);
    expect(api.validate(r.json, api.responseSchema('VirtualMachineScaleSetVMs_List', '200'))).toEqual([]);
    const plain = await get(`${SETS}/big/virtualMachines${CV}`);
    expect(api.validate(plain.json, api.responseSchema('VirtualMachineScaleSetVMs_List', '200'))).toEqual([]);
  });

  it('is counted per page and spends the subscription read budget; an empty budget answers 429 with Retry-After', async () => {
    const before = sim.calls.VirtualMachineScaleSetVMs_List ?? 0;
    const first = await get(`${SETS}/big/virtualMachines${CV}&$expand=instanceView`);
    const second = await get((first.json as VmPage).nextLink ?? '');
    expect(sim.calls.VirtualMachineScaleSetVMs_List).toBe(before + 2);
    const remaining = (h: Record<string, unknown>): number => Number(h['x-ms-ratelimit-remaining-subscription-reads']);
    expect(remaining(second.headers)).toBe(remaining(first.headers) - 1);
    sim.throttler.config = { ...sim.throttler.config, subscriptionReads: { capacity: 1, perMinute: 1 } };
    sim.throttler.reset();
    await get(`${SETS}/big/virtualMachines${CV}`);
    const throttled = await get(`${SETS}/big/virtualMachines${CV}`);
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(0);
    expect((throttled.json as { error: { code: string } }).error.code).toBe('TooManyRequests');
    sim.throttler.config = { ...sim.throttler.config, subscriptionReads: { capacity: 12_000, perMinute: 200 } };
    sim.throttler.reset();
  });

  it('the real @azure/arm-compute client lists every page with expand: instanceView over HTTPS', async () => {
    const compute = new ComputeManagementClient(credential, SUB, { endpoint: sim.url, credentials: { scopes: ['https://management.azure.com/.default'] }, tlsOptions: { ca: sim.caPem } });
    const vms = [];
    for await (const vm of compute.virtualMachineScaleSetVMs.list('rg-api', 'big', { expand: 'instanceView' })) vms.push(vm);
    expect(vms).toHaveLength(120);
    expect(vms[0]?.instanceId).toBe('0');
    expect(vms[0]?.storageProfile?.imageReference?.id).toBe(IMAGE);
    expect(vms[0]?.storageProfile?.imageReference?.exactVersion).toBe('1.1.0');
    expect(vms[0]?.latestModelApplied).toBe(true);
    const codes = vms.map((v) => v.instanceView?.vmHealth?.status?.code);
    expect(codes.filter((c) => c === 'HealthState/unhealthy')).toHaveLength(48);
  });
});

describe('VirtualMachines_List (a Flexible set\'s instances)', () => {
  const VMS = `/subscriptions/${SUB}/resourceGroups/rg-api/providers/Microsoft.Compute/virtualMachines`;
  const ofFlex = `${VMS}${CV}&$filter=${encodeURIComponent(`virtualMachineScaleSet/id eq '${SETS}/flex'`)}`;

  it('with the scale-set filter and $expand=instanceView: each VM names its set, the version it runs and its health', async () => {
    const { vms } = await all(`${ofFlex}&$expand=instanceView`);
    expect(vms).toHaveLength(10);
    for (const vm of vms) {
      expect(vm.id).toBe(`${VMS}/${vm.name}`);
      expect(vm.name).toMatch(/^flex_[0-9a-f]{8}$/);
      expect(vm).toMatchObject({ properties: { virtualMachineScaleSet: { id: `${SETS}/flex` }, storageProfile: { imageReference: { exactVersion: expect.any(String) } }, instanceView: { vmHealth: { status: { code: expect.stringMatching(/^HealthState\//) } } } } });
    }
  });

  it('lists only Flexible instances (a Uniform set\'s are not VMs of the group), and refuses $expand without the filter or another filter', async () => {
    expect((await all(`${VMS}${CV}`)).vms).toHaveLength(10);
    expect((await get(`${VMS}${CV}&$expand=instanceView`)).status).toBe(400);
    expect((await get(`${VMS}${CV}&$filter=${encodeURIComponent("name eq 'x'")}`)).status).toBe(400);
  });

  it.skipIf(!FIX)('validates against the ComputeRP 2024-03-01 virtualMachine schema', async () => {
    const api = new OpenApi(join(FIX ?? '', VMSS.replace('virtualMachineScaleSet.json', 'virtualMachine.json')));
    const r = await get(`${ofFlex}&$expand=instanceView`);
    expect(api.validate(r.json, api.responseSchema('VirtualMachines_List', '200'))).toEqual([]);
  });

  it('the real @azure/arm-compute client lists them with filter and expand over HTTPS', async () => {
    const compute = new ComputeManagementClient(credential, SUB, { endpoint: sim.url, credentials: { scopes: ['https://management.azure.com/.default'] }, tlsOptions: { ca: sim.caPem } });
    const vms = [];
    for await (const vm of compute.virtualMachines.list('rg-api', { filter: `virtualMachineScaleSet/id eq '${SETS}/flex'`, expand: 'instanceView' })) vms.push(vm);
    expect(vms).toHaveLength(10);
    expect(vms.every((v) => v.virtualMachineScaleSet?.id === `${SETS}/flex` && v.instanceView?.vmHealth?.status?.code?.startsWith('HealthState/'))).toBe(true);
  });
});
