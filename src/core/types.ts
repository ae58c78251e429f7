/**
 * The release engine's vocabulary: the events it consumes, the commands it emits and the state it keeps.
 * Azure's own words are used for Azure things (`excludeFromLatest`, `targetRegions`, rolling upgrade codes).
 */
import type { NoticeKind, ReleasePlan } from './plan';

// ---------------------------------------------------------------------------------------------- events

/** `runningStatus.code` of a scale set's latest rolling upgrade. */
/** Azure's `runningStatus.code`; `Unknown` stands for a code Ringmaster does not know (judged inconclusive). */
export type RollingUpgradeCode = 'RollingForward' | 'Cancelled' | 'Completed' | 'Faulted' | 'Unknown';

/** `progress` of a rolling upgrade, in instances. */
export interface UpgradeProgress {
  successful: number;
  failed: number;
  inProgress: number;
  pending: number;
}

/** One instance's health (Application Health extension; `unknown` while it is being reimaged) and version. */
export interface InstanceObservation {
  id: string;
  version?: string;
  health: 'healthy' | 'unhealthy' | 'unknown';
}

export type ReplicationState = 'Unknown' | 'Replicating' | 'Completed' | 'Failed';

/**
 * What an operator may ask. `approve` approves the ring that awaits the approval its plan requires;
 * `approve-budget` lets the current ring open beyond the fleet budget (its own decision, recorded as such).
 */
export const OPERATOR_ACTIONS = ['pause', 'resume', 'approve', 'approve-budget', 'promote', 'abort', 'demote'] as const;
export type OperatorAction = (typeof OPERATOR_ACTIONS)[number];

export type ReleaseEvent =
  /** The version exists (a write event, a rebake, or a re-read of ARM). Carries what ARM says of its exposure. */
  | {
      kind: 'version-published';
      versionId: string;
      excludeFromLatest: boolean;
      targetRegions: { name: string; excludeFromLatest: boolean }[];
      /** The newest other version of the image definition, when the observation listed them. */
      newestOtherVersion?: string;
    }
  /**
   * The scale sets of the plan's rings, as one fleet read found them. `pinnedVersion`: the set's
   * `imageReference` names that version explicitly, so it never takes a new latest.
   */
  | { kind: 'fleet-observed'; scaleSets: { id: string; region: string; capacity: number; pinnedVersion?: string }[] }
  | { kind: 'replication-observed'; versionId: string; region: string; state: ReplicationState; message?: string }
  | {
      kind: 'rolling-upgrade-observed';
      scaleSetId: string;
      /** The version being rolled out, when the observation knows it (OS upgrade history does). */
      versionId?: string;
      code: RollingUpgradeCode;
      /** ISO time the rolling upgrade started; upgrades that started before the region opened are stale. */
      startTime?: string;
      errorCode?: string;
      errorMessage?: string;
      progress: UpgradeProgress;
    }
  /**
   * The instances of one scale set as ARM lists them: each one's Application Health state and the image
   * version it runs (`exactVersion`, a version name like "1.7.0"; undefined when ARM does not say).
   */
  | { kind: 'instances-observed'; scaleSetId: string; instances: InstanceObservation[] }
  | { kind: 'alert'; alertRule: string; state: 'fired' | 'resolved'; targetResourceIds: string[] }
  /** A metric gate's latest value; `null` when the metric had no data. */
  | { kind: 'gate-observed'; gate: string; value: number | null }
  /** Time to look again; `scaleSetIds` hints which sets changed (the shell reads those first; the engine ignores it). */
  | { kind: 'wake-up'; scaleSetIds?: string[] }
  | { kind: 'operator'; action: OperatorAction; actor: string; reason?: string }
  /** A newer version of the same image definition started its own release. */
  | { kind: 'superseded'; byVersionId: string };

export type ReleaseEventKind = ReleaseEvent['kind'];

// -------------------------------------------------------------------------------------------- commands

/** Facts a notice carries; every field optional so a notice says what is known and nothing more. */
export interface NoticeFacts {
  version: string;
  versionId: string;
  ring?: string;
  regions?: string[];
  scaleSetId?: string;
  errorCode?: string;
  unhealthyPercent?: number;
  instances?: { upgraded: number; failed: number; total: number };
  reason: string;
  nextStep: string;
}

export type Command =
  | { kind: 'set-regional-exclude'; versionId: string; regions: string[]; excludeFromLatest: boolean; cause: string }
  | { kind: 'set-target-regions'; versionId: string; addRegions: string[]; cause: string }
  | { kind: 'demote-version'; versionId: string; cause: string }
  | { kind: 'cancel-rolling-upgrade'; scaleSetId: string; region: string; cause: string }
  | { kind: 'start-os-upgrade'; scaleSetId: string; region: string; cause: string }
  | {
      kind: 'notify';
      channel: 'teams' | 'slack';
      /** The webhook URL's secret name, or for a `slackThread` route the bot token's. */
      secretName: string;
      /** A `slackThread` route's channel id: post with the bot token, one thread per release. */
      slackChannel?: string;
      notice: NoticeKind;
      dedupeKey: string;
      facts: NoticeFacts;
      cause: string;
    }
  | { kind: 'start-rebake'; imageTemplateId: string; cause: string };

export type CommandKind = Command['kind'];

// ----------------------------------------------------------------------------------------------- state

export type Phase =
  | 'pending'
  | 'staging'
  | 'opening'
  | 'upgrading'
  | 'soaking'
  | 'awaiting-approval'
  | 'held'
  | 'paused'
  | 'completed'
  | 'demoted'
  | 'aborted'
  | 'handing-over'
  | 'superseded'
  | 'failed';

export const TERMINAL_PHASES: readonly Phase[] = ['completed', 'demoted', 'aborted', 'superseded', 'failed'];

export interface RingProgress {
  name: string;
  regions: string[];
  /** Regions whose lever has been pulled, with the time each opened. */
  opened: Record<string, string>;
  /** Regions whose every scale set completed its rolling upgrade to this version. */
  upgraded: Record<string, string>;
  upgradedAt?: string;
  soakUntil?: string;
  passedAt?: string;
  approvedBy?: string;
  /** Who ended this ring's soak early (promote). */
  promotedBy?: string;
  /** An operator let this ring open beyond the fleet budget. */
  budgetApprovedBy?: string;
  /** Drive mode: the scale set started first (one-box), once chosen. */
  oneBox?: string;
}

export interface ScaleSetProgress {
  region: string;
  capacity: number;
  /** The version its `imageReference` pins: it never takes a new latest and is never waited for. */
  pinnedVersion?: string;
  upgrade?: {
    code: RollingUpgradeCode;
    startTime?: string;
    errorCode?: string;
    progress: UpgradeProgress;
    observedAt: string;
    /** An operator resumed past this (Faulted or Cancelled) upgrade; the same observation no longer pauses. */
    acknowledged?: boolean;
  };
  /** The last rolling upgrade seen that is not this version's (it started before the region opened): known, so not announced again. */
  ignoredUpgrade?: { code: RollingUpgradeCode; startTime?: string; progress: UpgradeProgress };
  /** The last instance evidence of this set: the version's instances against the control group. */
  /** The latest instance evidence; `allOnVersion`: every instance of the set runs this release's version. */
  evidence?: { verdict: InstanceVerdict; cause: string; observedAt: string; allOnVersion?: boolean };
  /** Set when this release asked Azure to start the OS upgrade (plans with `startOsUpgrade`). */
  osUpgradeRequested?: boolean;
  /** Set when this release cancelled the scale set's upgrade, so the resulting `Cancelled` is expected. */
  cancelledByUs?: boolean;
}

export type InstanceVerdict = 'healthy' | 'pending' | 'breached' | 'unrelated';

export interface Transition {
  at: string;
  from: Phase;
  to: Phase;
  ring?: string;
  cause: string;
}

export interface ReleaseState {
  versionId: string;
  /** The version name, e.g. "1.7.0". */
  version: string;
  plan: ReleasePlan;
  phase: Phase;
  /** Index of the ring being worked on; -1 before the first ring opens. */
  ring: number;
  rings: RingProgress[];
  createdAt: string;
  updatedAt: string;
  /** What ARM last said (or what we last set) of each target region's `excludeFromLatest`. */
  targetRegions: Record<string, { excludeFromLatest: boolean }>;
  replication: Record<string, ReplicationState>;
  scaleSets: Record<string, ScaleSetProgress>;
  /** Scale set ids by region, rebuilt on every fleet read (an index: decisions stay O(sets in a region)). */
  fleetByRegion: Record<string, string[]>;
  fleetObserved: boolean;
  alertsFiring: string[];
  gatesFailing: string[];
  /** Why the release waits (hold, pause, approval), for people. */
  waitingFor?: string;
  pausedFrom?: Phase;
  demotion?: { at: string; cause: string; by: string };
  /** A newer version took over: when, by whom, and until when this release keeps watching where it ran. */
  handover?: { at: string; byVersionId: string; until: string };
  /** When the release wants to be woken with no signal (a soak's end, a hold's end, an upgrade timeout): the one wake-up channel; the orchestrator sets its durable timer from it. */
  wakeAt?: string;
  notified: string[];
  /** What a person should know about the fleet, once each (a pinned set, an empty region). */
  findings: string[];
  transitions: Transition[];
}

export interface Decision {
  state: ReleaseState;
  commands: Command[];
  /** One line on what this decision did and why (including "ignored: …"). */
  cause: string;
}
