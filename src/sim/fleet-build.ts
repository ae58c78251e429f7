// Builds the initial fleet state from a validated fleet spec.
import type { HealthOracle } from './behaviour';
import { parseDuration } from './durations';
import { SpecError, type FleetSpec, type ScaleSetGroupSpec, type TargetRegionSpec } from './fleet-spec';
import {
  imageDefinitionId,
  key,
  latestIn,
  type FleetState,
  type ImageDefinition,
  type ImageTemplate,
  type Instance,
  type ScaleSet,
} from './fleet-model';
import type { SeededIds } from './prng';
import { normalizeRegion } from './regions';

function regionsOf(list: TargetRegionSpec[] | undefined, all: string[]): { name: string; regionalReplicaCount?: number | undefined; excludeFromLatest?: boolean | undefined; storageAccountType?: string | undefined }[] {
  return (list ?? all).map((t) => (typeof t === 'string' ? { name: t } : t));
}

export function buildState(spec: FleetSpec, ids: SeededIds, start: number, health: HealthOracle): FleetState {
  const regions = spec.regions.map(normalizeRegion);
  const g = spec.gallery;
  const state: FleetState = {
    subscriptionId: spec.subscriptionId,
    tenantId: spec.tenantId,
    regions,
    gallery: { name: g.name, resourceGroup: g.resourceGroup, location: normalizeRegion(g.location), images: new Map() },
    scaleSets: new Map(),
    templates: new Map(),
  };
  for (const i of g.images) {
    const img: ImageDefinition = {
      name: i.name,
      location: normalizeRegion(g.location),
      osType: i.osType,
      osState: i.osState,
      hyperVGeneration: i.hyperVGeneration,
      identifier: { publisher: i.publisher, offer: i.offer ?? i.name, sku: i.sku ?? 'default' },
      versions: new Map(),
    };
    for (const v of i.versions) {
      img.versions.set(v.version, {
        name: v.version,
        location: img.location,
        excludeFromLatest: v.excludeFromLatest,
        replicaCount: 1,
        storageAccountType: 'Standard_LRS',
        publishedDate: v.publishedDate ? Date.parse(v.publishedDate) : start - 30 * 86_400_000,
        provisioningState: 'Succeeded',
        sourceId: `/subscriptions/${spec.subscriptionId}/resourceGroups/${g.resourceGroup}/providers/Microsoft.Compute/images/${i.name}-${v.version}`,
        tags: {},
        targetRegions: regionsOf(v.targetRegions, regions).map((t) => ({
          region: normalizeRegion(t.name),
          regionalReplicaCount: t.regionalReplicaCount ?? 1,
          storageAccountType: t.storageAccountType ?? 'Standard_LRS',
          excludeFromLatest: t.excludeFromLatest,
          state: 'Completed' as const,
          startedAt: start,
          completesAt: start,
        })),
      });
    }
    state.gallery.images.set(i.name.toLowerCase(), img);
  }

  spec.scaleSets.forEach((grp, gi) => {
    const img = state.gallery.images.get(grp.image.toLowerCase());
    if (!img) throw new SpecError(`scaleSets.${gi}.image: unknown image ${grp.image}`);
    for (const regionRaw of grp.regions ?? spec.regions) {
      const region = normalizeRegion(regionRaw);
      for (let n = 1; n <= grp.countPerRegion; n++) {
        const name = grp.name.replaceAll('{region}', region).replaceAll('{n}', String(n));
        const rg = grp.resourceGroup.replaceAll('{region}', region).replaceAll('{n}', String(n));
        const version = grp.initialVersion ?? grp.pinnedVersion ?? latestIn(img, region)?.name;
        if (!version) throw new SpecError(`scaleSets.${gi}: no version of ${img.name} is available in ${region} (set initialVersion or replicate a version there)`);
        if (state.scaleSets.has(key(rg, name))) throw new SpecError(`scaleSets.${gi}: duplicate scale set ${rg}/${name}`);
        const set = newScaleSet(state, grp, { name, rg, region, version, createdAt: start - 90 * 86_400_000 }, ids);
        const setInstanceIds = set.instances.map((x) => x.instanceId);
        for (const x of set.instances) {
          x.health = health.healthy({ version, image: img.name, region, scaleSet: name, instanceId: x.instanceId, setInstanceIds, reimagedAt: undefined }, start) ? 'healthy' : 'unhealthy';
        }
        state.scaleSets.set(key(rg, name), set);
      }
    }
  });

  for (const t of spec.imageTemplates) {
    const img = state.gallery.images.get(t.image.toLowerCase());
    if (!img) throw new SpecError(`imageTemplates: unknown image ${t.image}`);
    const tpl: ImageTemplate = {
      name: t.name,
      resourceGroup: t.resourceGroup,
      location: normalizeRegion(t.location ?? g.location),
      imageKey: imageDefinitionId(state, img.name).toLowerCase(),
      buildDurationMs: parseDuration(t.buildDuration),
      versions: t.versions ?? [],
      outcomes: t.outcomes ?? ['Succeeded'],
      runs: 0,
      targetRegions: t.targetRegions?.map((x) => (typeof x === 'string' ? { name: x } : x)),
      excludeFromLatest: t.excludeFromLatest,
      lastRunStatus: undefined,
      runOutputs: [],
    };
    state.templates.set(key(t.resourceGroup, t.name), tpl);
  }
  return state;
}

/**
 * One scale set of a group, in `region`, with `grp.instances` instances on `version` (health decided by the caller):
 * the fleet file's sets at the start, and a timeline's `createScaleSet` mid-run.
 */
export function newScaleSet(state: FleetState, grp: Omit<ScaleSetGroupSpec, 'regions' | 'countPerRegion' | 'initialVersion'>, at: { name: string; rg: string; region: string; version: string; createdAt: number }, ids: SeededIds): ScaleSet {
  const { name, region, version } = at;
  const imageId = imageDefinitionId(state, state.gallery.images.get(grp.image.toLowerCase())?.name ?? grp.image);
  const instances: Instance[] = [];
  for (let k = 0; k < grp.instances; k++) {
    const instanceId = grp.orchestrationMode === 'Uniform' ? String(k) : `${name}_${ids.uuid().slice(0, 8)}`;
    instances.push({
      instanceId,
      name: grp.orchestrationMode === 'Uniform' ? `${name}_${k}` : instanceId,
      version,
      previousVersion: undefined,
      health: 'healthy',
      state: 'running',
      forcedUnhealthyUntil: undefined,
      reimagedAt: undefined,
    });
  }
  const up = grp.upgradePolicy;
  return {
    name,
    resourceGroup: at.rg,
    location: region,
    orchestrationMode: grp.orchestrationMode,
    sku: grp.sku,
    zones: grp.zones,
    tags: grp.tags ?? {},
    uniqueId: ids.uuid(),
    timeCreated: at.createdAt,
    imageKey: imageId.toLowerCase(),
    imageId,
    pinnedVersion: grp.pinnedVersion,
    modelVersion: version,
    healthSource: grp.healthSource,
    upgradePolicy: {
      mode: up?.mode ?? 'Rolling',
      rollingUpgradePolicy: up?.rollingUpgradePolicy,
      automaticOSUpgradePolicy: up?.automaticOSUpgradePolicy,
    },
    instances,
    rolling: undefined,
    history: [],
    failedVersions: new Set(),
    detection: undefined,
  };
}
