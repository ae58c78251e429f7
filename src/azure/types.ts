/**
 * Small, Azure-worded domain types returned by the ports. They carry only what Ringmaster reads, in Azure's words,
 * so the release engine's mapping is one line per field and no SDK type leaks past `src/azure`.
 */

export type ReplicationState = 'Completed' | 'Replicating' | 'Failed' | 'Unknown';
export type StorageAccountType = 'Standard_LRS' | 'Standard_ZRS' | 'Premium_LRS' | (string & {});

/** One entry of `publishingProfile.targetRegions`. */
export interface TargetRegion {
  name: string;
  excludeFromLatest: boolean;
  regionalReplicaCount?: number;
  storageAccountType?: StorageAccountType;
}

/** One entry of `replicationStatus.summary`. `progress` is 0–100. */
export interface RegionReplication {
  region: string;
  state: ReplicationState;
  progress: number;
  details?: string;
}

/** A gallery image version as read with `$expand=ReplicationStatus`. */
export interface VersionSnapshot {
  /** ARM id `/subscriptions/…/galleries/{g}/images/{i}/versions/{v}`. */
  id: string;
  /** The version name, e.g. `1.7.0`. */
  name: string;
  /** The image definition id (the version id without `/versions/{v}`). */
  imageId: string;
  /** Version-level `publishingProfile.excludeFromLatest` (the global kill switch). */
  excludeFromLatest: boolean;
  targetRegions: TargetRegion[];
  replication: RegionReplication[];
  aggregatedReplicationState?: 'Unknown' | 'InProgress' | 'Completed' | 'Failed';
  provisioningState?: string;
  /** `publishingProfile.publishedDate`, ISO 8601. */
  publishedAt?: string;
}

export type OrchestrationMode = 'Uniform' | 'Flexible';
export type UpgradeMode = 'Automatic' | 'Manual' | 'Rolling';

export interface RollingPolicy {
  maxBatchInstancePercent?: number;
  maxUnhealthyInstancePercent?: number;
  maxUnhealthyUpgradedInstancePercent?: number;
  /** ISO 8601 duration, e.g. `PT0S`. */
  pauseTimeBetweenBatches?: string;
  rollbackFailedInstancesOnPolicyBreach?: boolean;
}

/** A VM scale set as read from Resource Graph (or ARM). */
export interface ScaleSetInfo {
  id: string;
  name: string;
  /** Normalised Azure region name, e.g. `eastus`. */
  region: string;
  resourceGroup: string;
  subscriptionId: string;
  /** `virtualMachineProfile.storageProfile.imageReference.id` as written (may include `/versions/{v}`). */
  imageReferenceId?: string;
  /** The version segment when the image reference pins a version (auto OS upgrade then never moves it). */
  pinnedVersion?: string;
  orchestrationMode: OrchestrationMode;
  upgradeMode: UpgradeMode;
  automaticOSUpgrade: boolean;
  maxSurge: boolean;
  rollingPolicy: RollingPolicy;
  /** `extension` = Application Health extension; `probe` = `healthProbe` on the network profile. */
  healthSources: ('extension' | 'probe')[];
  /** `automaticRepairsPolicy.gracePeriod` when repairs are enabled, ISO 8601 duration. */
  repairGracePeriod?: string;
  capacity: number;
}

export type RollingUpgradeCode = 'RollingForward' | 'Cancelled' | 'Completed' | 'Faulted' | (string & {});

export interface UpgradeProgress {
  successful: number;
  failed: number;
  inProgress: number;
  pending: number;
}

/** `rollingUpgrades/latest` of one scale set. */
export interface RollingUpgradeStatus {
  scaleSetId: string;
  code: RollingUpgradeCode;
  startTime?: string;
  lastAction?: 'Start' | 'Cancel' | (string & {});
  /** e.g. `MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade`. */
  errorCode?: string;
  errorMessage?: string;
  progress: UpgradeProgress;
}

/** One entry of `osUpgradeHistory`. */
export interface OSUpgradeHistoryEntry {
  code: RollingUpgradeCode;
  startTime?: string;
  endTime?: string;
  startedBy?: 'Unknown' | 'User' | 'Platform' | (string & {});
  /** `targetImageReference`: its `id` as written (a gallery image or one version) and `exactVersion`, when Azure says. */
  targetImage?: { id?: string; exactVersion?: string };
  errorCode?: string;
  errorMessage?: string;
  progress: UpgradeProgress;
  rolledBack?: { successful: number; failed: number };
}

export type ImageBuilderRunState =
  | 'Running'
  | 'Canceling'
  | 'Succeeded'
  | 'PartiallySucceeded'
  | 'Failed'
  | 'Canceled'
  | (string & {});

/** `lastRunStatus` of an Image Builder template. */
export interface ImageBuilderRunStatus {
  templateId: string;
  runState?: ImageBuilderRunState;
  runSubState?: string;
  message?: string;
  startTime?: string;
  endTime?: string;
}

export interface MetricPoint {
  timeStamp: string;
  value: number | undefined;
}

export interface MetricSeries {
  resourceId: string;
  metricName: string;
  aggregation: 'Average' | 'Minimum' | 'Maximum' | 'Total' | 'Count';
  unit?: string;
  points: MetricPoint[];
}
