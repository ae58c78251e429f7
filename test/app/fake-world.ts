/**
 * A small in-memory world for orchestrator and handler tests: `MemoryAzure` behind the real release world
 * (`createReleaseWorld`), so these tests run the same Azure → engine mapping as production. The test changes
 * the world between steps (replication lands, an upgrade completes or faults) and reads what was done.
 */
import type { Command, InstanceObservation, ReleasePlan, ReplicationState } from '../../src/core';
import { MemoryAzure } from '../../src/azure/memory-ports';
import { createReleaseWorld } from '../../src/azure/release-world';
import type { RollingUpgradeStatus } from '../../src/azure/types';
import { MemoryLedger } from '../../src/ledger/ledger';
import type { ReleasePorts } from '../../src/app/ports';

const short = (id: unknown) => String(id).split('/').at(-1);

/** One compact line per Azure call ("demote", "setRegionalExclude:eastus=false", "startOsUpgrade:vmss-eastus-1"); reads start with "read". */
function callLine(method: string, args: unknown[]): string {
  switch (method) {
    case 'gallery.setRegionalExcludeFromLatest': {
      const changes = args[1] as { region: string; excludeFromLatest: boolean }[];
      return `setRegionalExclude:${changes.map((c) => c.region).join('+')}=${changes[0]?.excludeFromLatest}`;
    }
    case 'gallery.addTargetRegions':
      return `addTargetRegions:${(args[1] as { name: string }[]).map((r) => r.name).join('+')}`;
    case 'gallery.demote':
      return 'demote';
    case 'fleet.cancelRollingUpgrade':
      return `cancel:${short(args[0])}`;
    case 'fleet.startOSUpgrade':
      return `startOsUpgrade:${short(args[0])}`;
    case 'imageBuilder.runTemplate':
      return 'runImageTemplate';
    default:
      return `read:${method}`;
  }
}

export type UpgradeView = RollingUpgradeStatus;

export function fakeWorld(plan: ReleasePlan, capacity = 10, setsPerRegion = 2) {
  const azure = new MemoryAzure();
  const notices: Extract<Command, { kind: 'notify' }>[] = [];
  const regions = plan.rings.flatMap((r) => r.regions);
  const sets = regions.flatMap((region) => Array.from({ length: setsPerRegion }, (_, i) => i + 1).map((n) => ({ id: `/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-${region}-${n}`, region, capacity })));
  for (const s of sets) {
    azure.scaleSets.push({
      ...s,
      name: short(s.id)!,
      resourceGroup: 'rg',
      subscriptionId: 's',
      imageReferenceId: plan.image,
      orchestrationMode: 'Uniform',
      upgradeMode: 'Automatic',
      automaticOSUpgrade: true,
      maxSurge: false,
      rollingPolicy: {},
      healthSources: ['extension'],
    });
  }
  const ledger = new MemoryLedger();
  const templateId = plan.rebake?.imageTemplate ?? '/subscriptions/s/resourceGroups/rg/providers/Microsoft.VirtualMachineImages/imageTemplates/none';
  const ports: ReleasePorts = {
    ...createReleaseWorld(azure),
    async notify(command) {
      notices.push(command);
      return { delivered: true, attempts: 1 };
    },
    ledger,
  };
  return {
    azure,
    ports,
    /** Every Azure call so far, as compact lines. */
    get calls(): string[] {
      return azure.calls.map((c) => callLine(c.method, c.args));
    },
    notices,
    ledger,
    sets,
    /** The rebake template's last run, as the next read returns it. */
    templateRun: {
      set current(run: { runState?: string; message?: string; endTime?: string } | undefined) {
        if (run) azure.templates.set(templateId, { templateId, ...run });
        else azure.templates.delete(templateId);
      },
    },
    publish(id: string) {
      azure.addVersion({
        id,
        name: short(id)!,
        imageId: id.replace(/\/versions\/[^/]+$/, ''),
        excludeFromLatest: false,
        targetRegions: regions.map((name) => ({ name, excludeFromLatest: true })),
        replication: regions.map((region) => ({ region, state: 'Replicating' as const, progress: 0 })),
      });
    },
    replicate(id: string, region: string, state: ReplicationState = 'Completed') {
      const r = [...azure.versions.values()].find((v) => v.id === id)!.replication.find((x) => x.region === region)!;
      r.state = state;
      r.progress = state === 'Completed' ? 100 : r.progress;
    },
    /** Sets the instances of every set in `region`: `onVersion` of them on `version`, `unhealthy` of those unhealthy. */
    instances(region: string, version: string, onVersion: number, unhealthy: number, previous = '1.6.4') {
      for (const s of sets.filter((x) => x.region === region)) {
        azure.instances.set(s.id, Array.from({ length: capacity }, (_, i): InstanceObservation => ({ id: String(i), version: i < onVersion ? version : previous, health: i < unhealthy ? 'unhealthy' : 'healthy' })));
      }
    },
    /** Sets the rolling upgrade of one scale set; with `targetVersion`, its OS upgrade history says which version it rolls out. */
    upgradeSet(view: UpgradeView, targetVersion?: string) {
      azure.rollingUpgrades.set(view.scaleSetId, view);
      if (targetVersion) azure.history.set(view.scaleSetId, [{ code: view.code, progress: view.progress, ...(view.startTime ? { startTime: view.startTime } : {}), targetImage: { id: plan.image, exactVersion: targetVersion } }]);
    },
    upgrade(region: string, code: UpgradeView['code'], startTime: string, errorCode?: string) {
      for (const s of sets.filter((x) => x.region === region)) {
        azure.rollingUpgrades.set(s.id, { scaleSetId: s.id, code, startTime, ...(errorCode ? { errorCode } : {}), progress: code === 'Completed' ? { successful: capacity, failed: 0, inProgress: 0, pending: 0 } : { successful: 0, failed: 2, inProgress: 0, pending: capacity - 2 } });
      }
    },
  };
}
