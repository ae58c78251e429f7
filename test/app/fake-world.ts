/**
 * A small in-memory world behind the ReleasePorts, for orchestrator and handler tests: the test changes
 * the world between steps (replication lands, an upgrade completes or faults) and reads what was done.
 */
import type { Command, InstanceObservation, ReleasePlan, ReplicationState } from '../../src/core';
import { MemoryLedger } from '../../src/ledger/ledger';
import type { ReleasePorts, UpgradeView } from '../../src/app/ports';

export function fakeWorld(plan: ReleasePlan, capacity = 10, setsPerRegion = 2) {
  const calls: string[] = [];
  const versions = new Map<string, { excludeFromLatest: boolean; targetRegions: Map<string, boolean>; replication: Map<string, ReplicationState> }>();
  const upgrades = new Map<string, UpgradeView>();
  const instances = new Map<string, InstanceObservation[]>();
  const notices: Extract<Command, { kind: 'notify' }>[] = [];
  const regions = plan.rings.flatMap((r) => r.regions);
  const sets = regions.flatMap((region) => Array.from({ length: setsPerRegion }, (_, i) => i + 1).map((n) => ({ id: `/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-${region}-${n}`, region, capacity })));
  const ledger = new MemoryLedger();
  const metrics = new Map<string, number | null>();
  const templateRun: { current?: { runState?: string; message?: string; endTime?: string } } = {};
  const ports: ReleasePorts = {
    async readVersion(id) {
      calls.push('readVersion');
      const v = versions.get(id);
      return v && { id, excludeFromLatest: v.excludeFromLatest, targetRegions: [...v.targetRegions].map(([name, excludeFromLatest]) => ({ name, excludeFromLatest })), replication: [...v.replication].map(([region, state]) => ({ region, state })) };
    },
    async listVersions() {
      calls.push('readVersionList');
      return [...versions].map(([id, v]) => ({ id, name: id.split('/').at(-1)!, excludeFromLatest: v.excludeFromLatest }));
    },
    async readFleet() {
      calls.push('readFleet');
      return sets;
    },
    async readInstances(ids) {
      calls.push(`readInstances:${ids.length}`);
      return ids.map((id) => instances.get(id));
    },
    async readUpgrades(ids) {
      calls.push(`readUpgrades:${ids.length}`);
      return ids.map((id) => upgrades.get(id));
    },
    async setRegionalExclude(id, rs, exclude) {
      calls.push(`setRegionalExclude:${rs.join('+')}=${exclude}`);
      for (const r of rs) versions.get(id)!.targetRegions.set(r, exclude);
    },
    async addTargetRegions(id, rs) {
      calls.push(`addTargetRegions:${rs.join('+')}`);
      for (const r of rs) versions.get(id)!.targetRegions.set(r, false);
    },
    async demote(id) {
      calls.push('demote');
      versions.get(id)!.excludeFromLatest = true;
    },
    async cancelRollingUpgrade(id) {
      calls.push(`cancel:${id.split('/').at(-1)}`);
    },
    async startOsUpgrade(id) {
      calls.push(`startOsUpgrade:${id.split('/').at(-1)}`);
    },
    async readMetric(gate) {
      calls.push(`readMetric:${gate.name}`);
      return metrics.get(gate.name) ?? null;
    },
    async readTemplateRun() {
      calls.push('readTemplateRun');
      return templateRun.current;
    },
    async runImageTemplate() {
      calls.push('runImageTemplate');
    },
    async notify(command) {
      notices.push(command);
      return { delivered: true, attempts: 1 };
    },
    ledger,
  };
  return {
    ports,
    calls,
    metrics,
    templateRun,
    notices,
    ledger,
    sets,
    publish(id: string) {
      versions.set(id, { excludeFromLatest: false, targetRegions: new Map(regions.map((r) => [r, true])), replication: new Map(regions.map((r) => [r, 'Replicating' as const])) });
    },
    replicate(id: string, region: string, state: ReplicationState = 'Completed') {
      versions.get(id)!.replication.set(region, state);
    },
    /** Sets the instances of every set in `region`: `onVersion` of them on `version`, `unhealthy` of those unhealthy. */
    instances(region: string, version: string, onVersion: number, unhealthy: number, previous = '1.6.4') {
      for (const s of sets.filter((x) => x.region === region)) {
        instances.set(s.id, Array.from({ length: capacity }, (_, i) => ({ id: String(i), version: i < onVersion ? version : previous, health: i < unhealthy ? 'unhealthy' : 'healthy' })));
      }
    },
    /** Sets the rolling upgrade of one scale set. */
    upgradeSet(view: UpgradeView) {
      upgrades.set(view.scaleSetId, view);
    },
    upgrade(region: string, code: UpgradeView['code'], startTime: string, errorCode?: string) {
      for (const s of sets.filter((x) => x.region === region)) {
        upgrades.set(s.id, { scaleSetId: s.id, code, startTime, ...(errorCode ? { errorCode } : {}), progress: code === 'Completed' ? { successful: capacity, failed: 0, inProgress: 0, pending: 0 } : { successful: 0, failed: 2, inProgress: 0, pending: capacity - 2 } });
      }
    },
  };
}
