/**
 * The release world: Azure's shapes in, the engine's events out. Runs over MemoryAzure (the same ports the
 * SDK adapters implement), so each row is the mapping production runs.
 */
import { describe, expect, it } from 'vitest';
import { decide, validatePlan, type ReleaseEvent } from '../../src/core';
import { Forbidden, Transient } from '../../src/azure/errors';
import { MemoryAzure } from '../../src/azure/memory-ports';
import { createReleaseWorld, targetVersionId, upgradeCodeOf } from '../../src/azure/release-world';
import { newRelease, paymentsFleet, planWith, published, run, scaleSetId, T0, versionId } from '../core/factories';

const IMAGE = versionId('1.7.0').replace(/\/versions\/.*$/, '');
const SET = scaleSetId('vmss-eastus-1');
const START = '2026-12-02T08:00:00.000Z';

function world() {
  const azure = new MemoryAzure();
  azure.addVersion({ id: versionId('1.7.0'), name: '1.7.0', imageId: IMAGE, excludeFromLatest: false, targetRegions: [{ name: 'East US', excludeFromLatest: false }], replication: [{ region: 'East US', state: 'Completed', progress: 100 }] });
  return { azure, world: createReleaseWorld(azure) };
}

const upgrades = (events: ReleaseEvent[]) => events.filter((e): e is Extract<ReleaseEvent, { kind: 'rolling-upgrade-observed' }> => e.kind === 'rolling-upgrade-observed');

describe('the release world maps Azure to engine events', () => {
  it.each([
    ['RollingForward', 'RollingForward'],
    ['Completed', 'Completed'],
    ['Faulted', 'Faulted'],
    ['Cancelled', 'Cancelled'],
    ['RollingBackward', 'Unknown'],
    [undefined, 'Unknown'],
  ])('runningStatus.code %s → %s', (azureCode, code) => {
    expect(upgradeCodeOf(azureCode)).toBe(code);
  });

  it.each([
    ['a version id', { id: `${IMAGE}/versions/1.7.1` }, versionId('1.7.1')],
    ['the image definition and exactVersion', { id: IMAGE, exactVersion: '1.7.1' }, versionId('1.7.1')],
    ['neither', { id: IMAGE }, undefined],
    ['no reference', undefined, undefined],
  ])('targetImageReference with %s', (_name, target, expected) => {
    expect(targetVersionId(versionId('1.7.0'), target)).toBe(expected);
  });

  it('names the version an upgrade rolls out, from OS upgrade history read once per upgrade', async () => {
    const { azure, world: w } = world();
    azure.rollingUpgrades.set(SET, { scaleSetId: SET, code: 'RollingForward', startTime: START, progress: { successful: 2, failed: 0, inProgress: 2, pending: 6 } });
    azure.history.set(SET, [{ code: 'RollingForward', startTime: START, progress: { successful: 2, failed: 0, inProgress: 2, pending: 6 }, targetImage: { id: IMAGE, exactVersion: '1.7.1' } }]);
    const first = await w.observe({ versionId: versionId('1.7.0'), version: false, upgradesOf: [SET] });
    expect(upgrades(first.events)).toEqual([expect.objectContaining({ scaleSetId: SET, versionId: versionId('1.7.1'), code: 'RollingForward', startTime: START })]);
    azure.rollingUpgrades.get(SET)!.progress = { successful: 4, failed: 0, inProgress: 2, pending: 4 };
    const second = await w.observe({ versionId: versionId('1.7.0'), version: false, upgradesOf: [SET] });
    expect(upgrades(second.events)[0]?.versionId).toBe(versionId('1.7.1'));
    expect(azure.calls.filter((c) => c.method === 'fleet.listOSUpgradeHistory')).toHaveLength(1);
  });

  it('without upgradeTargets (the watcher, which only announces a change) no history is read and no version named', async () => {
    const { azure, world: w } = world();
    azure.rollingUpgrades.set(SET, { scaleSetId: SET, code: 'Faulted', startTime: START, progress: { successful: 0, failed: 2, inProgress: 0, pending: 8 } });
    azure.history.set(SET, [{ code: 'Faulted', startTime: START, progress: { successful: 0, failed: 2, inProgress: 0, pending: 8 }, targetImage: { id: IMAGE, exactVersion: '1.7.1' } }]);
    const seen = await w.observe({ versionId: versionId('1.7.0'), version: false, upgradesOf: [SET], upgradeTargets: false });
    expect(upgrades(seen.events)[0]).not.toHaveProperty('versionId');
    expect(azure.calls.filter((c) => c.method === 'fleet.listOSUpgradeHistory')).toEqual([]);
  });

  it('leaves the version open while history lags behind the latest status, and asks again next round', async () => {
    const { azure, world: w } = world();
    azure.rollingUpgrades.set(SET, { scaleSetId: SET, code: 'RollingForward', startTime: START, progress: { successful: 0, failed: 0, inProgress: 2, pending: 8 } });
    const lagging = await w.observe({ versionId: versionId('1.7.0'), version: false, upgradesOf: [SET] });
    expect(upgrades(lagging.events)[0]).not.toHaveProperty('versionId');
    azure.history.set(SET, [{ code: 'RollingForward', startTime: START, progress: { successful: 0, failed: 0, inProgress: 2, pending: 8 }, targetImage: { id: `${IMAGE}/versions/1.7.0` } }]);
    const caught = await w.observe({ versionId: versionId('1.7.0'), version: false, upgradesOf: [SET] });
    expect(upgrades(caught.events)[0]?.versionId).toBe(versionId('1.7.0'));
  });

  it('a history read that fails costs the tag, not the observation', async () => {
    const { azure, world: w } = world();
    azure.rollingUpgrades.set(SET, { scaleSetId: SET, code: 'Faulted', startTime: START, errorCode: 'MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade', progress: { successful: 0, failed: 2, inProgress: 0, pending: 8 } });
    azure.fleet.listOSUpgradeHistory = async () => {
      throw new Forbidden('osUpgradeHistory/read denied', 'Microsoft.Compute/virtualMachineScaleSets/osUpgradeHistory/read', { statusCode: 403, code: 'AuthorizationFailed' });
    };
    const seen = await w.observe({ versionId: versionId('1.7.0'), version: false, upgradesOf: [SET] });
    expect(upgrades(seen.events)).toEqual([expect.objectContaining({ code: 'Faulted', errorCode: 'MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade' })]);
    expect(seen.errors).toEqual([expect.stringContaining('OS upgrade history')]);
  });

  it('a code it does not know reaches the engine as Unknown, with what Azure said, and pauses the release', async () => {
    const { azure, world: w } = world();
    azure.rollingUpgrades.set(SET, { scaleSetId: SET, code: 'RollingBackward', startTime: new Date(T0.getTime() + 60_000).toISOString(), progress: { successful: 0, failed: 0, inProgress: 2, pending: 8 } });
    const seen = await w.observe({ versionId: versionId('1.7.0'), version: false, upgradesOf: [SET] });
    const [event] = upgrades(seen.events);
    expect(event).toMatchObject({ code: 'Unknown', errorMessage: expect.stringContaining('"RollingBackward"') });
    const plan = planWith({});
    const { state } = run(newRelease(plan, versionId('1.7.0'), T0), [paymentsFleet(plan), published('1.7.0', plan.rings.flatMap((r) => r.regions)), { kind: 'replication-observed', versionId: versionId('1.7.0'), region: 'eastus', state: 'Completed' }], T0);
    expect(state.phase).toBe('upgrading');
    const d = decide(state, event!, new Date(T0.getTime() + 120_000));
    expect(d.state.phase).toBe('paused');
    expect(d.cause).toContain('RollingBackward');
  });

  it('a version that is gone is "does not exist"; any other failed read is an error, not a verdict', async () => {
    const { azure, world: w } = world();
    expect(await w.observe({ versionId: versionId('9.9.9') })).toEqual({ events: [], errors: [], exists: false });
    azure.gallery.getVersion = async () => {
      throw new Transient('ARM answered 503', { statusCode: 503 });
    };
    const failed = await w.observe({ versionId: versionId('1.7.0') });
    expect(failed).toMatchObject({ exists: true, events: [], errors: [expect.stringContaining('version read failed: ARM answered 503')] });
  });

  it('regions come out in the short form plans use', async () => {
    const { world: w } = world();
    const seen = await w.observe({ versionId: versionId('1.7.0') });
    expect(seen.events).toEqual([
      { kind: 'version-published', versionId: versionId('1.7.0'), excludeFromLatest: false, targetRegions: [{ name: 'eastus', excludeFromLatest: false }] },
      { kind: 'replication-observed', versionId: versionId('1.7.0'), region: 'eastus', state: 'Completed' },
    ]);
  });

  it('a plan that validates reads its gates through Monitor', async () => {
    const { azure, world: w } = world();
    const result = validatePlan({ ...planWith({}), health: { breachOn: ['metric'], metrics: [{ name: 'cpu', resourceId: SET, metric: 'Percentage CPU', aggregation: 'Average', operator: '>', threshold: 80, window: '5m' }] } });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    azure.metrics.set(`${SET}|Percentage CPU`.toLowerCase(), [40, 91]);
    const seen = await w.observe({ versionId: versionId('1.7.0'), version: false, plan: result.plan, gatesAt: START });
    expect(seen.events).toEqual([{ kind: 'gate-observed', gate: 'cpu', value: 91 }]);
  });
});
