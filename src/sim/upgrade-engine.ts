// The automatic OS image upgrade engine. When a newer "latest" lands in a scale set's region, the platform notices
// after a detection delay and rolls it out in batches of maxBatchInstancePercent, waiting for each batch's health,
// stopping (Faulted) when the rollingUpgradePolicy thresholds are breached and rolling failed instances back.
// When a prerequisite is missing it silently does nothing, as Azure does.
import type { Behaviour, HealthOracle } from './behaviour';
import { parseIsoDuration } from './durations';
import type { RollingUpgradePolicySpec } from './fleet-spec';
import {
  compareVersions,
  counts,
  imageByKey,
  imageNameOf,
  latestIn,
  type FleetState,
  type Instance,
  type RollingUpgrade,
  type ScaleSet,
} from './fleet-model';
import { keyedRandom, type SeededIds } from './prng';
import type { ScheduledHandle, VirtualClock } from './virtual-clock';

export const DEFAULT_ROLLING_POLICY: RollingUpgradePolicySpec = {
  maxBatchInstancePercent: 20,
  maxUnhealthyInstancePercent: 20,
  maxUnhealthyUpgradedInstancePercent: 20,
  pauseTimeBetweenBatches: 'PT0S',
  rollbackFailedInstancesOnPolicyBreach: false,
};

/**
 * How long one rolling upgrade of `set` takes when every batch is healthy: its batches (maxBatchInstancePercent,
 * at least one instance) each reimaged and judged, with the policy's pause between them.
 */
export function rollingUpgradeMs(set: ScaleSet, behaviour: Behaviour): number {
  const policy = { ...DEFAULT_ROLLING_POLICY, ...(set.upgradePolicy.rollingUpgradePolicy ?? {}) };
  const total = set.instances.length;
  if (total === 0) return 0;
  const batches = Math.ceil(total / Math.max(1, Math.floor((total * policy.maxBatchInstancePercent) / 100)));
  return batches * (behaviour.reimageMs + behaviour.healthSettleMs) + (batches - 1) * parseIsoDuration(policy.pauseTimeBetweenBatches);
}

export interface EngineDeps {
  state: FleetState;
  clock: VirtualClock;
  behaviour: Behaviour;
  health: HealthOracle;
  seed: number;
  ids: SeededIds;
  onEnded: (set: ScaleSet, ru: RollingUpgrade) => void;
  onStarted: (set: ScaleSet, ru: RollingUpgrade) => void;
}

/** Why automatic OS upgrade will not act on this scale set, or undefined when it will. */
export function autoUpgradeBlocker(set: ScaleSet): string | undefined {
  if (set.pinnedVersion) return 'image reference is pinned to a version';
  if (!set.upgradePolicy.automaticOSUpgradePolicy?.enableAutomaticOSUpgrade) return 'automaticOSUpgradePolicy.enableAutomaticOSUpgrade is off';
  if (set.healthSource === 'none') return 'no health source (Application Health extension or load balancer probe)';
  if (set.healthSource === 'both') return 'two health sources (extension and load balancer probe)';
  if (set.orchestrationMode === 'Flexible' && set.upgradePolicy.rollingUpgradePolicy?.maxSurge) return 'MaxSurge is set on a Flexible scale set';
  return undefined;
}

export class UpgradeEngine {
  private readonly timers = new Map<RollingUpgrade, ScheduledHandle>();
  constructor(private readonly d: EngineDeps) {}

  /** A new version may have become latest in this region for this image. */
  onLatestChanged(imageKey: string, region: string): void {
    for (const set of this.d.state.scaleSets.values()) {
      if (set.location === region && set.imageKey === imageKey) this.considerDetection(set);
    }
  }

  private targetFor(set: ScaleSet): string | undefined {
    const img = imageByKey(this.d.state, set.imageKey);
    const latest = img ? latestIn(img, set.location) : undefined;
    if (!latest) return undefined;
    if (compareVersions(latest.name, set.modelVersion) <= 0) return undefined;
    if (set.failedVersions.has(latest.name)) return undefined;
    return latest.name;
  }

  considerDetection(set: ScaleSet): void {
    if (set.detection || autoUpgradeBlocker(set) || set.rolling?.code === 'RollingForward') return;
    const target = this.targetFor(set);
    if (!target) return;
    const { detectionDelayMs, detectionJitterMs } = this.d.behaviour;
    const jitter = Math.floor(keyedRandom(this.d.seed, `detect|${set.resourceGroup}|${set.name}|${target}`) * detectionJitterMs);
    const h = this.d.clock.after(detectionDelayMs + jitter, `detect ${set.name}`, () => {
      set.detection = undefined;
      if (autoUpgradeBlocker(set) || set.rolling?.code === 'RollingForward') return;
      const now = this.targetFor(set);
      if (now) this.start(set, 'Platform', now);
    });
    set.detection = h;
  }

  start(set: ScaleSet, startedBy: 'Platform' | 'User', target: string): RollingUpgrade {
    const now = this.d.clock.nowMs();
    const ru: RollingUpgrade = {
      id: this.d.ids.uuid(),
      startedBy,
      targetVersion: target,
      fromVersion: set.modelVersion,
      policy: { ...DEFAULT_ROLLING_POLICY, ...(set.upgradePolicy.rollingUpgradePolicy ?? {}) },
      code: 'RollingForward',
      startTime: now,
      endTime: undefined,
      lastAction: 'Start',
      lastActionTime: now,
      cancelRequested: false,
      upgraded: new Set(),
      failed: new Set(),
      inProgress: new Set(),
      error: undefined,
      rollback: { succeeded: 0, failed: 0, error: undefined },
      batches: 0,
      waiters: [],
    };
    if (set.detection) {
      set.detection.cancel();
      set.detection = undefined;
    }
    set.modelVersion = target;
    set.rolling = ru;
    set.history.unshift(ru);
    if (set.history.length > this.d.behaviour.historyLimit) set.history.length = this.d.behaviour.historyLimit;
    this.timers.set(ru, this.d.clock.after(0, `batch ${set.name}`, () => this.nextBatch(set, ru)));
    this.d.onStarted(set, ru);
    return ru;
  }

  /** Requests a cancel: the current batch finishes, then the upgrade stops as Cancelled. */
  cancel(set: ScaleSet): boolean {
    const ru = set.rolling;
    if (!ru || ru.code !== 'RollingForward') return false;
    ru.cancelRequested = true;
    ru.lastAction = 'Cancel';
    ru.lastActionTime = this.d.clock.nowMs();
    if (ru.inProgress.size === 0) {
      this.timers.get(ru)?.cancel();
      this.finish(set, ru, 'Cancelled');
    }
    return true;
  }

  private nextBatch(set: ScaleSet, ru: RollingUpgrade): void {
    this.timers.delete(ru);
    if (ru.code !== 'RollingForward') return;
    if (ru.cancelRequested) return this.finish(set, ru, 'Cancelled');
    const { total, unhealthy } = counts(set);
    if (total > 0 && (unhealthy * 100) / total > ru.policy.maxUnhealthyInstancePercent) {
      return this.fault(set, ru, {
        code: 'MaxUnhealthyInstancePercentExceededInRollingUpgrade',
        message: `Rolling Upgrade failed due to exceeding the MaxUnhealthyInstancePercent value (${ru.policy.maxUnhealthyInstancePercent}%) defined in the RollingUpgradePolicy: ${Math.round((unhealthy * 100) / total)}% of the scale set's instances are unhealthy.`,
      });
    }
    let pending = set.instances.filter((i) => i.version !== ru.targetVersion && !ru.upgraded.has(i.instanceId));
    if (pending.length === 0) return this.finish(set, ru, 'Completed');
    if (ru.policy.prioritizeUnhealthyInstances) {
      pending = [...pending.filter((i) => i.health === 'unhealthy'), ...pending.filter((i) => i.health !== 'unhealthy')];
    }
    const size = Math.max(1, Math.floor((total * ru.policy.maxBatchInstancePercent) / 100));
    const batch = pending.slice(0, size);
    ru.batches++;
    for (const i of batch) {
      i.state = 'updating';
      i.health = 'unknown'; // the Application Health extension does not report while the OS disk is reimaged
      ru.inProgress.add(i.instanceId);
    }
    const { reimageMs, healthSettleMs } = this.d.behaviour;
    this.timers.set(
      ru,
      this.d.clock.after(reimageMs, `reimage ${set.name}`, () => {
        for (const i of batch) {
          i.previousVersion = i.version;
          i.version = ru.targetVersion;
          i.health = 'unknown';
          i.state = 'running';
          this.reimaged(set, i);
        }
        this.timers.set(ru, this.d.clock.after(healthSettleMs, `health ${set.name}`, () => this.evaluate(set, ru, batch)));
      }),
    );
  }

  /** The instance's health now, from a `makeUnhealthy` hold and the health rules. */
  healthOf(set: ScaleSet, i: Instance): 'healthy' | 'unhealthy' {
    const now = this.d.clock.nowMs();
    if (i.forcedUnhealthyUntil !== undefined && i.forcedUnhealthyUntil > now) return 'unhealthy';
    const subject = { version: i.version, image: imageNameOf(set), region: set.location, scaleSet: set.name, instanceId: i.instanceId, setInstanceIds: this.idsOf(set), reimagedAt: i.reimagedAt };
    return this.d.health.healthy(subject, now) ? 'healthy' : 'unhealthy';
  }

  private readonly setIds = new WeakMap<ScaleSet, string[]>();
  private idsOf(set: ScaleSet): string[] {
    let ids = this.setIds.get(set);
    if (!ids || ids.length !== set.instances.length) {
      ids = set.instances.map((i) => i.instanceId);
      this.setIds.set(set, ids);
    }
    return ids;
  }

  /**
   * Reads an instance's health again (health rules change with time). Instances being reimaged or rolled back,
   * and those of a batch still settling, report 'unknown' until the batch's own health check.
   */
  recheck(set: ScaleSet, i: Instance): void {
    if (i.state !== 'running' || set.rolling?.inProgress.has(i.instanceId)) return;
    i.health = this.healthOf(set, i);
  }

  /** Reads every instance's health again (a health rule's window opened or closed, or the rules changed). */
  recheckAll(): void {
    for (const set of this.d.state.scaleSets.values()) for (const i of set.instances) this.recheck(set, i);
  }

  /** An instance was reimaged (or created) now: its `afterUpgrade` rules come into force later, so look at it again then. */
  reimaged(set: ScaleSet, i: Instance): void {
    i.reimagedAt = this.d.clock.nowMs();
    this.scheduleRechecks(set, i, this.d.health.afterUpgradeDelays());
  }

  /** Schedules a health read of the instance at reimagedAt + each delay still ahead. */
  scheduleRechecks(set: ScaleSet, i: Instance, delays: number[]): void {
    if (i.reimagedAt === undefined) return;
    const now = this.d.clock.nowMs();
    const at = i.reimagedAt;
    for (const d of delays) {
      if (d <= 0 || at + d <= now) continue;
      this.d.clock.schedule(at + d, `health ${set.name}`, () => {
        if (i.reimagedAt === at) this.recheck(set, i);
      });
    }
  }

  private evaluate(set: ScaleSet, ru: RollingUpgrade, batch: Instance[]): void {
    this.timers.delete(ru);
    for (const i of batch) {
      i.health = this.healthOf(set, i);
      ru.inProgress.delete(i.instanceId);
      ru.upgraded.add(i.instanceId);
    }
    // Azure checks every upgraded instance after each batch, not only the batch's own: an instance that passed
    // its batch and turned unhealthy since (a slow burn, an outage) counts against the threshold now.
    for (const i of set.instances) if (ru.upgraded.has(i.instanceId) && i.health === 'unhealthy') ru.failed.add(i.instanceId);
    const pct = ru.upgraded.size ? (ru.failed.size * 100) / ru.upgraded.size : 0;
    if (pct > ru.policy.maxUnhealthyUpgradedInstancePercent) {
      return this.fault(set, ru, {
        code: 'MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade',
        message: `Rolling Upgrade failed after exceeding the MaxUnhealthyUpgradedInstancePercent value defined in the RollingUpgradePolicy. ${Math.round(pct)}% of the upgraded instances (${ru.failed.size} of ${ru.upgraded.size}) are unhealthy after being upgraded, more than the configured ${ru.policy.maxUnhealthyUpgradedInstancePercent}%.`,
      });
    }
    if (ru.cancelRequested) return this.finish(set, ru, 'Cancelled');
    // pauseTimeBetweenBatches is the wait between one batch and the next: after the last there is none.
    if (set.instances.every((i) => i.version === ru.targetVersion || ru.upgraded.has(i.instanceId))) return this.finish(set, ru, 'Completed');
    const pause = parseIsoDuration(ru.policy.pauseTimeBetweenBatches);
    this.timers.set(ru, this.d.clock.after(pause, `batch ${set.name}`, () => this.nextBatch(set, ru)));
  }

  private fault(set: ScaleSet, ru: RollingUpgrade, error: { code: string; message: string }): void {
    ru.error = error;
    this.finish(set, ru, 'Faulted');
    const autoRollback =
      ru.policy.rollbackFailedInstancesOnPolicyBreach &&
      (ru.startedBy === 'User' || !set.upgradePolicy.automaticOSUpgradePolicy?.disableAutomaticRollback);
    if (ru.startedBy === 'Platform') set.failedVersions.add(ru.targetVersion);
    if (!autoRollback) return;
    const failed = set.instances.filter((i) => ru.failed.has(i.instanceId) && i.previousVersion !== undefined);
    for (const i of failed) {
      i.state = 'rollingBack';
      i.health = 'unknown';
    }
    if (failed.length > 0 && ru.startedBy === 'Platform') set.modelVersion = ru.fromVersion;
    this.d.clock.after(this.d.behaviour.rollbackMs, `rollback ${set.name}`, () => {
      for (const i of failed) {
        i.version = i.previousVersion ?? i.version;
        i.previousVersion = undefined;
        i.state = 'running';
        this.reimaged(set, i);
        i.health = this.healthOf(set, i);
        ru.rollback.succeeded++;
      }
    });
  }

  private finish(set: ScaleSet, ru: RollingUpgrade, code: 'Completed' | 'Cancelled' | 'Faulted'): void {
    this.timers.delete(ru);
    ru.code = code;
    ru.endTime = this.d.clock.nowMs();
    const waiters = ru.waiters.splice(0);
    for (const w of waiters) w(ru);
    this.d.onEnded(set, ru);
    this.considerDetection(set);
  }

  progress(set: ScaleSet, ru: RollingUpgrade): {
    successfulInstanceCount: number;
    failedInstanceCount: number;
    inProgressInstanceCount: number;
    pendingInstanceCount: number;
  } {
    const successful = ru.upgraded.size - ru.failed.size;
    const failed = ru.failed.size;
    const inProgress = ru.inProgress.size;
    let pending = 0;
    for (const i of set.instances) {
      if (i.version !== ru.targetVersion && !ru.upgraded.has(i.instanceId) && !ru.inProgress.has(i.instanceId)) pending++;
    }
    return { successfulInstanceCount: successful, failedInstanceCount: failed, inProgressInstanceCount: inProgress, pendingInstanceCount: pending };
  }
}
