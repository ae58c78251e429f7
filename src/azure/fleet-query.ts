/**
 * The one Resource Graph query that finds every scale set of a release, and the mapping of its rows.
 *
 * Written in the KQL that both Azure Resource Graph and the simulator understand (where / project, `=~`, `in~`,
 * `startswith`). A scale set "tracks" the image when its `imageReference.id` is the definition id (latest) or the
 * definition id followed by `/versions/…` (pinned) — `startswith` alone would also match `payments-api2`.
 */
import { normalizeRegion } from './port-runtime';
import { parseGalleryImageVersionId, parseScaleSetId } from './resource-ids';
import type { OrchestrationMode, RollingPolicy, ScaleSetInfo, UpgradeMode } from './types';

function kqlString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Builds the query for the scale sets in `regions` that use `imageId` (a gallery image definition id). */
export function scaleSetQuery(imageId: string, regions: readonly string[], selector?: string): string {
  const id = imageId.replace(/\/+$/, '');
  const regionList = [...new Set(regions.map(normalizeRegion))].map(kqlString).join(', ');
  return [
    'resources',
    "| where type =~ 'microsoft.compute/virtualmachinescalesets'",
    ...(regions.length > 0 ? [`| where location in~ (${regionList})`] : []),
    `| where properties.virtualMachineProfile.storageProfile.imageReference.id =~ ${kqlString(id)} or properties.virtualMachineProfile.storageProfile.imageReference.id startswith ${kqlString(`${id}/versions/`)}`,
    // A ring's own narrowing, as the plan writes it (a KQL `where` clause).
    ...(selector ? [`| where ${selector}`] : []),
    '| project id, name, location, resourceGroup, subscriptionId, sku, properties',
    '| order by id asc',
  ].join('\n');
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);

const HEALTH_EXTENSION_TYPES = new Set(['applicationhealthlinux', 'applicationhealthwindows']);

/** Maps one ARM-shaped scale set (a Resource Graph row or a GET body) to `ScaleSetInfo`. */
/** `orchestrationMode` as ARM writes it; absent on sets created before the property existed, which are Uniform. */
export function orchestrationModeOf(mode: string | undefined): OrchestrationMode {
  return mode?.toLowerCase() === 'flexible' ? 'Flexible' : 'Uniform';
}

export function toScaleSetInfo(row: unknown): ScaleSetInfo {
  const r = obj(row);
  const props = obj(r.properties);
  const vmProfile = obj(props.virtualMachineProfile);
  const imageReferenceId = str(obj(obj(vmProfile.storageProfile).imageReference).id);
  const upgradePolicy = obj(props.upgradePolicy);
  const rolling = obj(upgradePolicy.rollingUpgradePolicy);
  const auto = obj(upgradePolicy.automaticOSUpgradePolicy);
  const id = str(r.id) ?? '';
  const parsed = parseScaleSetId(id);
  const extensions = Array.isArray(obj(vmProfile.extensionProfile).extensions)
    ? (obj(vmProfile.extensionProfile).extensions as unknown[])
    : [];
  const healthSources: ScaleSetInfo['healthSources'] = [];
  if (extensions.some((e) => HEALTH_EXTENSION_TYPES.has((str(obj(obj(e).properties).type) ?? '').toLowerCase()))) {
    healthSources.push('extension');
  }
  if (str(obj(obj(vmProfile.networkProfile).healthProbe).id)) healthSources.push('probe');
  const rollingPolicy: RollingPolicy = {};
  for (const k of ['maxBatchInstancePercent', 'maxUnhealthyInstancePercent', 'maxUnhealthyUpgradedInstancePercent'] as const) {
    const v = num(rolling[k]);
    if (v !== undefined) rollingPolicy[k] = v;
  }
  const pause = str(rolling.pauseTimeBetweenBatches);
  if (pause !== undefined) rollingPolicy.pauseTimeBetweenBatches = pause;
  const rollback = bool(rolling.rollbackFailedInstancesOnPolicyBreach);
  if (rollback !== undefined) rollingPolicy.rollbackFailedInstancesOnPolicyBreach = rollback;
  const mode = (str(upgradePolicy.mode) ?? 'Manual') as UpgradeMode;
  const info: ScaleSetInfo = {
    id,
    name: str(r.name) ?? id.split('/').pop() ?? '',
    region: normalizeRegion(str(r.location) ?? ''),
    resourceGroup: str(r.resourceGroup) ?? parsed?.resourceGroup ?? '',
    subscriptionId: str(r.subscriptionId) ?? parsed?.subscriptionId ?? '',
    orchestrationMode: orchestrationModeOf(str(props.orchestrationMode)),
    upgradeMode: mode,
    automaticOSUpgrade: bool(auto.enableAutomaticOSUpgrade) ?? false,
    maxSurge: bool(rolling.maxSurge) ?? false,
    rollingPolicy,
    healthSources,
    capacity: num(obj(r.sku).capacity) ?? 0,
  };
  if (imageReferenceId !== undefined) {
    info.imageReferenceId = imageReferenceId;
    const pinned = parseGalleryImageVersionId(imageReferenceId)?.version;
    if (pinned !== undefined) info.pinnedVersion = pinned;
  }
  const repairs = obj(props.automaticRepairsPolicy);
  if (bool(repairs.enabled) === true && str(repairs.gracePeriod) !== undefined) info.repairGracePeriod = str(repairs.gracePeriod) as string;
  return info;
}
