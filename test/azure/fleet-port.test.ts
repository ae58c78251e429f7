import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Forbidden, NotFound, Throttled } from '../../src/azure/errors';
import { IMAGE_ID, paymentsFleet, scaleSetIdOf, startRig, type TestRig, versionIdOf } from './sim-harness';

let rig: TestRig;
beforeAll(async () => {
  rig = await startRig(paymentsFleet({ health: [{ version: '1.7.0', scaleSets: ['vmss-payments-eastus-2'], healthy: false }] }));
});
afterAll(async () => {
  await rig?.close();
});

const EASTUS_1 = scaleSetIdOf('rg-payments-eastus', 'vmss-payments-eastus-1');
const EASTUS_2 = scaleSetIdOf('rg-payments-eastus', 'vmss-payments-eastus-2');

/** Advances the simulator's clock a minute at a time until `p` settles (LROs that end with an upgrade). */
async function withClock<T>(p: Promise<T>, stepMs = 60_000, maxSteps = 300): Promise<T> {
  let done = false;
  const watched = p.finally(() => {
    done = true;
  });
  for (let i = 0; i < maxSteps && !done; i++) {
    rig.sim.clock.advance(stepMs);
    await new Promise((r) => setTimeout(r, 5));
  }
  return watched;
}

describe('fleet port: Resource Graph', () => {
  it('finds the scale sets of every ring region in one query, excluding other images', async () => {
    const before = rig.sim.calls['Resources'] ?? 0;
    const sets = await rig.azure.fleet.findScaleSets({ imageId: IMAGE_ID, regions: ['eastus', 'West US 3', 'northeurope'] });
    expect((rig.sim.calls['Resources'] ?? 0) - before).toBe(1);
    expect(sets.map((s) => s.name)).toEqual([
      'vmss-payments-eastus-1',
      'vmss-payments-eastus-2',
      'vmss-payments-northeurope-1',
      'vmss-payments-northeurope-2',
      'vmss-payments-westus3-1',
      'vmss-payments-westus3-2',
      'vmss-pinned-eastus',
    ]);
    const pinned = sets.find((s) => s.name === 'vmss-pinned-eastus');
    expect(pinned).toMatchObject({ pinnedVersion: '1.6.4', healthSources: ['extension', 'probe'], region: 'eastus', capacity: 2 });
    const latest = sets[0];
    expect(latest).toMatchObject({
      id: EASTUS_1,
      region: 'eastus',
      resourceGroup: 'rg-payments-eastus',
      imageReferenceId: IMAGE_ID,
      orchestrationMode: 'Flexible',
      upgradeMode: 'Rolling',
      automaticOSUpgrade: true,
      maxSurge: false,
      healthSources: ['extension'],
      capacity: 5,
      rollingPolicy: { maxBatchInstancePercent: 20, maxUnhealthyUpgradedInstancePercent: 20, pauseTimeBetweenBatches: 'PT0S', rollbackFailedInstancesOnPolicyBreach: true },
    });
    expect(latest?.pinnedVersion).toBeUndefined();
  });

  it("narrows a ring with its selector (a KQL where clause from the plan)", async () => {
    const sets = await rig.azure.fleet.findScaleSets({ imageId: IMAGE_ID, regions: ['eastus', 'westus3'], selector: "name in~ ('vmss-payments-eastus-1', 'vmss-payments-westus3-1')" });
    expect(sets.map((s) => s.name)).toEqual(['vmss-payments-eastus-1', 'vmss-payments-westus3-1']);
  });

  it('pages with $skipToken', async () => {
    const { createFleetPort } = await import('../../src/azure/fleet-port');
    const { resourceGraphClient, computeClient } = await import('../../src/azure/client-options');
    const { loopbackTokenCredential } = await import('../../src/azure/credentials');
    const connection = { credential: loopbackTokenCredential(rig.sim.url), endpoint: rig.sim.url, caPem: rig.sim.caPem };
    const port = createFleetPort(resourceGraphClient(connection), (s) => computeClient(connection, s), { subscriptionIds: [rig.sim.fleet.subscriptionId], pageSize: 2 });
    const before = rig.sim.calls['Resources'] ?? 0;
    const sets = await port.findScaleSets({ imageId: IMAGE_ID, regions: [] });
    expect(sets).toHaveLength(7);
    expect((rig.sim.calls['Resources'] ?? 0) - before).toBe(4);
    expect(new Set(sets.map((s) => s.id)).size).toBe(7);
  });

  it('retries a throttled Resource Graph query after Retry-After', async () => {
    rig.sim.faults.addArm({ operation: 'Resources', kind: 'throttle', retryAfterSeconds: 3, count: 1 });
    rig.sleeps.length = 0;
    const sets = await rig.azure.fleet.findScaleSets({ imageId: IMAGE_ID, regions: ['eastus'] });
    expect(sets).toHaveLength(3);
    expect(rig.sleeps).toEqual([3000]);
  });

  it('names the Resource Graph action on 403', async () => {
    rig.sim.faults.addArm({ operation: 'Resources', kind: 'error', status: 403, code: 'AuthorizationFailed', count: 1 });
    const e = await rig.azure.fleet.findScaleSets({ imageId: IMAGE_ID, regions: ['eastus'] }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(Forbidden);
    expect((e as Forbidden).action).toBe('Microsoft.ResourceGraph/resources/read');
  });
});

describe('fleet port: rolling upgrades (real @azure/arm-compute)', () => {
  it('reports no rolling upgrade before the first one', async () => {
    expect(await rig.azure.fleet.getLatestRollingUpgrade(EASTUS_1)).toBeUndefined();
  });

  it('starts an OS upgrade (returns once accepted), reads it, cancels it, and lists the history', async () => {
    await rig.azure.gallery.setRegionalExcludeFromLatest(versionIdOf('1.7.0'), [{ region: 'eastus', excludeFromLatest: false }]);
    await rig.azure.fleet.startOSUpgrade(EASTUS_1);
    const running = await rig.azure.fleet.getLatestRollingUpgrade(EASTUS_1);
    expect(running).toMatchObject({ scaleSetId: EASTUS_1, code: 'RollingForward', lastAction: 'Start' });
    expect(running?.progress.pending).toBeGreaterThan(0);
    await withClock(rig.azure.fleet.cancelRollingUpgrade(EASTUS_1), 1_000);
    const cancelled = await rig.azure.fleet.getLatestRollingUpgrade(EASTUS_1);
    expect(cancelled?.code).toBe('Cancelled');
    const history = await rig.azure.fleet.listOSUpgradeHistory(EASTUS_1);
    expect(history[0]).toMatchObject({ code: 'Cancelled', startedBy: 'User' });
    expect(history[0]?.targetImage?.id).toContain('/images/payments-api');
  });

  it('sees a health breach as Faulted with the Azure error code', async () => {
    await withClock(rig.azure.fleet.startOSUpgrade(EASTUS_2, { waitForCompletion: true }).catch((e: unknown) => e));
    const s = await rig.azure.fleet.getLatestRollingUpgrade(EASTUS_2);
    expect(s).toMatchObject({ code: 'Faulted', errorCode: 'MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade' });
    expect(s?.progress.failed).toBeGreaterThan(0);
    const [last] = await rig.azure.fleet.listOSUpgradeHistory(EASTUS_2);
    expect(last).toMatchObject({ code: 'Faulted', errorCode: 'MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade' });
  });

  it('maps a cancel with nothing running to Conflict (409 OperationNotAllowed)', async () => {
    await expect(rig.azure.fleet.cancelRollingUpgrade(EASTUS_2)).rejects.toMatchObject({ name: 'Conflict', code: 'OperationNotAllowed' });
  });

  it.each([
    { name: 'cancel', op: 'VirtualMachineScaleSetRollingUpgrades_Cancel', call: () => rig.azure.fleet.cancelRollingUpgrade(EASTUS_1), action: 'Microsoft.Compute/virtualMachineScaleSets/rollingUpgrades/cancel/action' },
    { name: 'start OS upgrade', op: 'VirtualMachineScaleSetRollingUpgrades_StartOSUpgrade', call: () => rig.azure.fleet.startOSUpgrade(EASTUS_1), action: 'Microsoft.Compute/virtualMachineScaleSets/osRollingUpgrade/action' },
    { name: 'latest', op: 'VirtualMachineScaleSetRollingUpgrades_GetLatest', call: () => rig.azure.fleet.getLatestRollingUpgrade(EASTUS_1), action: 'Microsoft.Compute/virtualMachineScaleSets/rollingUpgrades/read' },
    { name: 'history', op: 'VirtualMachineScaleSets_GetOSUpgradeHistory', call: () => rig.azure.fleet.listOSUpgradeHistory(EASTUS_1), action: 'Microsoft.Compute/virtualMachineScaleSets/osUpgradeHistory/read' },
    { name: 'Flexible instances', op: 'VirtualMachines_List', call: () => rig.azure.fleet.listInstances(EASTUS_1), action: 'Microsoft.Compute/virtualMachines/read' },
  ])('403 on $name names $action', async ({ op, call, action }) => {
    rig.sim.faults.addArm({ operation: op, kind: 'error', status: 403, code: 'AuthorizationFailed', count: 1 });
    const e = await (call() as Promise<unknown>).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(Forbidden);
    expect((e as Forbidden).action).toBe(action);
  });

  it('honours Retry-After on rolling-upgrade status reads', async () => {
    rig.sim.faults.addArm({ operation: 'VirtualMachineScaleSetRollingUpgrades_GetLatest', kind: 'throttle', retryAfterSeconds: 5, count: 2 });
    rig.sleeps.length = 0;
    const s = await rig.azure.fleet.getLatestRollingUpgrade(EASTUS_2);
    expect(s?.code).toBe('Faulted');
    expect(rig.sleeps).toEqual([5000, 5000]);
  });

  it('throws NotFound for a scale set that does not exist', async () => {
    await expect(rig.azure.fleet.getLatestRollingUpgrade(scaleSetIdOf('rg-payments-eastus', 'nope'))).rejects.toBeInstanceOf(NotFound);
  });

  it('gives up on the rolling status budget as Throttled', async () => {
    rig.sim.faults.addArm({ operation: 'VirtualMachineScaleSetRollingUpgrades_GetLatest', kind: 'throttle', retryAfterSeconds: 5, count: 4 });
    await expect(rig.azure.fleet.getLatestRollingUpgrade(EASTUS_2)).rejects.toBeInstanceOf(Throttled);
  });
});

describe('fleet port: instance evidence in both orchestration modes', () => {
  const UNIFORM = scaleSetIdOf('rg-uniform', 'vmss-uniform-eastus');
  let uniformRig: TestRig;
  beforeAll(async () => {
    const base = paymentsFleet();
    uniformRig = await startRig({ ...base, scaleSets: [...(base.scaleSets ?? []), { name: 'vmss-uniform-{region}', resourceGroup: 'rg-uniform', regions: ['eastus'], instances: 4, orchestrationMode: 'Uniform', image: 'payments-api' }] });
  });
  afterAll(async () => uniformRig?.close());
  const calls = (op: string) => uniformRig.sim.calls[op] ?? 0;

  it('a Flexible set: one VM list filtered to the set (the scale-set VM list is refused for it), after one read of its mode', async () => {
    const before = { vms: calls('VirtualMachines_List'), vmssVms: calls('VirtualMachineScaleSetVMs_List'), get: calls('VirtualMachineScaleSets_Get') };
    const instances = await uniformRig.azure.fleet.listInstances(EASTUS_1);
    expect(instances).toHaveLength(5);
    expect(instances.every((i) => i.health === 'healthy' && i.version === '1.6.4' && /^vmss-payments-eastus-1_[0-9a-f]{8}$/.test(i.id))).toBe(true);
    expect(calls('VirtualMachines_List') - before.vms).toBe(1);
    expect(calls('VirtualMachineScaleSetVMs_List') - before.vmssVms).toBe(0);
    expect(calls('VirtualMachineScaleSets_Get') - before.get).toBe(1);
    await uniformRig.azure.fleet.listInstances(EASTUS_1);
    expect(calls('VirtualMachineScaleSets_Get') - before.get).toBe(1);
  });

  it('a Uniform set: the scale set\'s VM list; a fleet read teaches the port every mode, so no set is read for it', async () => {
    await uniformRig.azure.fleet.findScaleSets({ imageId: IMAGE_ID, regions: ['eastus'] });
    const before = { vmssVms: calls('VirtualMachineScaleSetVMs_List'), get: calls('VirtualMachineScaleSets_Get') };
    const instances = await uniformRig.azure.fleet.listInstances(UNIFORM);
    expect(instances.map((i) => i.id)).toEqual(['0', '1', '2', '3']);
    expect(calls('VirtualMachineScaleSetVMs_List') - before.vmssVms).toBe(1);
    await uniformRig.azure.fleet.listInstances(EASTUS_2);
    expect(calls('VirtualMachineScaleSets_Get') - before.get).toBe(0);
  });
});
