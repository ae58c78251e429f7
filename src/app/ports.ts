/**
 * What the release activities need from the outside world, as narrow ports. `src/app/wiring.ts` builds
 * them from the Azure adapters (`src/azure`), the notifier (`src/notify`) and the ledger (`src/ledger`);
 * tests may pass in-memory versions.
 */
import type { Command, InstanceObservation, ReleasePlan, ReplicationState, RollingUpgradeCode, UpgradeProgress } from '../core';
import type { Ledger } from '../ledger/ledger';

export interface VersionView {
  id: string;
  excludeFromLatest: boolean;
  targetRegions: { name: string; excludeFromLatest: boolean }[];
  replication: { region: string; state: ReplicationState }[];
}

export interface ScaleSetView {
  id: string;
  region: string;
  capacity: number;
  /** The version the set's imageReference names explicitly (it never takes a new latest). */
  pinnedVersion?: string;
}

export interface UpgradeView {
  scaleSetId: string;
  code: RollingUpgradeCode;
  startTime?: string;
  errorCode?: string;
  errorMessage?: string;
  progress: UpgradeProgress;
}

export type MetricGate = ReleasePlan['health']['metrics'][number];

export interface ReleasePorts {
  /** The version with its per-region replication; undefined when it does not exist (any more). */
  readVersion(versionId: string): Promise<VersionView | undefined>;
  /** The versions of an image definition (the reconciler's listing). */
  listVersions(imageId: string): Promise<{ id: string; name: string; publishedAt?: string; excludeFromLatest?: boolean }[]>;
  /** Every scale set of the plan's rings, in one fleet read. */
  readFleet(plan: ReleasePlan): Promise<ScaleSetView[]>;
  /** The instances of each scale set: health and version (undefined when the read failed for that set). */
  readInstances(scaleSetIds: string[]): Promise<(InstanceObservation[] | undefined)[]>;
  /** Latest rolling upgrade of each scale set (undefined when it never had one). */
  readUpgrades(scaleSetIds: string[]): Promise<(UpgradeView | undefined)[]>;
  setRegionalExclude(versionId: string, regions: string[], excludeFromLatest: boolean): Promise<void>;
  addTargetRegions(versionId: string, regions: string[]): Promise<void>;
  demote(versionId: string): Promise<void>;
  cancelRollingUpgrade(scaleSetId: string): Promise<void>;
  startOsUpgrade(scaleSetId: string): Promise<void>;
  /** The latest value of a plan's metric gate over its window, on `resourceId`; null when there is no data. */
  readMetric(gate: MetricGate, resourceId: string, now: Date): Promise<number | null>;
  runImageTemplate(imageTemplateId: string): Promise<void>;
  /** The template's last run (`lastRunStatus`); undefined when it never ran. */
  readTemplateRun(imageTemplateId: string): Promise<{ runState?: string; message?: string; endTime?: string } | undefined>;
  notify(command: Extract<Command, { kind: 'notify' }>, release: string): Promise<NotifyResult>;
  /** Retries absorbed by the adapters since the last call (for the ledger); optional for in-memory ports. */
  drainRetries?(): string[];
  ledger: Ledger;
}

export interface NotifyResult {
  delivered: boolean;
  attempts: number;
  error?: string;
}

