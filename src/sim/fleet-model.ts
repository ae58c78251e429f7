// The simulated fleet's state: gallery, image definitions, versions with per-region replicas, scale sets with
// instances, rolling upgrades and their history, Image Builder templates. Plain data; behaviour lives in
// replication.ts, upgrade-engine.ts and image-builder.ts.
import type { RollingUpgradePolicySpec } from './fleet-spec';

export type ReplicaState = 'Replicating' | 'Completed' | 'Failed';
export type Health = 'healthy' | 'unhealthy' | 'unknown';
export type RunningCode = 'RollingForward' | 'Cancelled' | 'Completed' | 'Faulted';

export interface RegionReplica {
  region: string; // normalised, e.g. "eastus"
  regionalReplicaCount: number;
  storageAccountType: string;
  excludeFromLatest: boolean | undefined;
  state: ReplicaState;
  startedAt: number;
  completesAt: number;
}

export interface ImageVersion {
  name: string;
  location: string;
  excludeFromLatest: boolean;
  replicaCount: number;
  storageAccountType: string;
  publishedDate: number;
  provisioningState: 'Creating' | 'Updating' | 'Succeeded' | 'Failed';
  targetRegions: RegionReplica[];
  sourceId: string;
  tags: Record<string, string>;
}

export interface ImageDefinition {
  name: string;
  location: string;
  osType: string;
  osState: string;
  hyperVGeneration: string;
  identifier: { publisher: string; offer: string; sku: string };
  versions: Map<string, ImageVersion>;
}

export interface Gallery {
  name: string;
  resourceGroup: string;
  location: string;
  images: Map<string, ImageDefinition>;
}

export interface Instance {
  instanceId: string;
  name: string;
  version: string;
  previousVersion: string | undefined;
  health: Health;
  state: 'running' | 'updating' | 'rollingBack';
  forcedUnhealthyUntil: number | undefined;
  /** When the instance was last reimaged (to a new version or rolled back), simulated ms; undefined: before the start. */
  reimagedAt: number | undefined;
}

export interface RollingUpgradeError {
  code: string;
  message: string;
}

export interface RollingUpgrade {
  id: string;
  startedBy: 'Platform' | 'User';
  targetVersion: string;
  fromVersion: string;
  policy: RollingUpgradePolicySpec;
  code: RunningCode;
  startTime: number;
  endTime: number | undefined;
  lastAction: 'Start' | 'Cancel';
  lastActionTime: number;
  cancelRequested: boolean;
  upgraded: Set<string>;
  failed: Set<string>;
  inProgress: Set<string>;
  error: RollingUpgradeError | undefined;
  rollback: { succeeded: number; failed: number; error: RollingUpgradeError | undefined };
  batches: number;
  /** Long-running operations waiting for this upgrade to end (user-started upgrades, cancels). */
  waiters: ((ru: RollingUpgrade) => void)[];
}

export interface UpgradePolicy {
  mode: 'Automatic' | 'Manual' | 'Rolling';
  rollingUpgradePolicy: RollingUpgradePolicySpec | undefined;
  automaticOSUpgradePolicy:
    | { enableAutomaticOSUpgrade: boolean; disableAutomaticRollback: boolean; useRollingUpgradePolicy?: boolean | undefined; osRollingUpgradeDeferral?: boolean | undefined }
    | undefined;
}

export interface ScaleSet {
  name: string;
  resourceGroup: string;
  location: string;
  orchestrationMode: 'Flexible' | 'Uniform';
  sku: string;
  zones: string[] | undefined;
  tags: Record<string, string>;
  uniqueId: string;
  timeCreated: number;
  /** Image definition id (lower-cased key) the set's model refers to. */
  imageKey: string;
  /** Canonical image definition id as written in the model. */
  imageId: string;
  pinnedVersion: string | undefined;
  /** The version the model currently resolves to (imageReference.exactVersion). */
  modelVersion: string;
  healthSource: 'extension' | 'probe' | 'both' | 'none';
  upgradePolicy: UpgradePolicy;
  instances: Instance[];
  rolling: RollingUpgrade | undefined;
  history: RollingUpgrade[];
  /** Versions an automatic upgrade already failed on; the platform does not retry them. */
  failedVersions: Set<string>;
  detection: { at: number; cancel(): void } | undefined;
}

export interface ImageTemplate {
  name: string;
  resourceGroup: string;
  location: string;
  imageKey: string;
  buildDurationMs: number;
  versions: string[];
  outcomes: ('Succeeded' | 'Failed')[];
  runs: number;
  targetRegions: { name: string; regionalReplicaCount?: number | undefined; excludeFromLatest?: boolean | undefined; storageAccountType?: string | undefined }[] | undefined;
  excludeFromLatest: boolean | undefined;
  lastRunStatus:
    | { startTime: number; endTime: number | undefined; runState: string; runSubState: string | undefined; message: string }
    | undefined;
  runOutputs: { name: string; artifactId: string; provisioningState: string }[];
}

export interface FleetState {
  subscriptionId: string;
  tenantId: string;
  regions: string[];
  gallery: Gallery;
  /** key: lower-case "rg/name" */
  scaleSets: Map<string, ScaleSet>;
  templates: Map<string, ImageTemplate>;
}

export const key = (rg: string, name: string): string => `${rg}/${name}`.toLowerCase();

export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

export function galleryId(f: FleetState): string {
  return `/subscriptions/${f.subscriptionId}/resourceGroups/${f.gallery.resourceGroup}/providers/Microsoft.Compute/galleries/${f.gallery.name}`;
}
export function imageDefinitionId(f: FleetState, image: string): string {
  return `${galleryId(f)}/images/${image}`;
}
export function versionId(f: FleetState, image: string, version: string): string {
  return `${imageDefinitionId(f, image)}/versions/${version}`;
}
/** The name of the gallery image definition the set's model refers to. */
export function imageNameOf(s: ScaleSet): string {
  return s.imageId.split('/').at(-1) ?? s.imageId;
}

export function scaleSetId(f: FleetState, s: ScaleSet): string {
  return `/subscriptions/${f.subscriptionId}/resourceGroups/${s.resourceGroup}/providers/Microsoft.Compute/virtualMachineScaleSets/${s.name}`;
}
export function templateId(f: FleetState, t: ImageTemplate): string {
  return `/subscriptions/${f.subscriptionId}/resourceGroups/${t.resourceGroup}/providers/Microsoft.VirtualMachineImages/imageTemplates/${t.name}`;
}

/** Whether a version is hidden from "latest" in a region: the region's own flag wins when it is set. */
export function excludedIn(v: ImageVersion, replica: RegionReplica): boolean {
  return replica.excludeFromLatest ?? v.excludeFromLatest;
}

/** "latest" of an image in a region: the highest version replicated there and not excluded. */
export function latestIn(img: ImageDefinition, region: string): ImageVersion | undefined {
  let best: ImageVersion | undefined;
  for (const v of img.versions.values()) {
    const r = v.targetRegions.find((t) => t.region === region);
    if (!r || r.state !== 'Completed' || excludedIn(v, r)) continue;
    if (!best || compareVersions(v.name, best.name) > 0) best = v;
  }
  return best;
}

/** Looks an image definition up by its full id (case-insensitive). */
export function imageByKey(f: FleetState, imageKey: string): ImageDefinition | undefined {
  const prefix = `${galleryId(f)}/images/`.toLowerCase();
  if (!imageKey.startsWith(prefix)) return undefined;
  return f.gallery.images.get(imageKey.slice(prefix.length));
}

export function counts(s: ScaleSet): { total: number; unhealthy: number } {
  let unhealthy = 0;
  for (const i of s.instances) if (i.health === 'unhealthy') unhealthy++;
  return { total: s.instances.length, unhealthy };
}
