// The simulation: fleet state on a virtual clock, with gallery replication, the upgrade engine, Image Builder runs,
// the scenario timeline and the platform events they raise. The HTTP layer calls into this; tests can too.
import { ArmError } from './arm-errors';
import { HealthOracle, resolveBehaviour, type Behaviour } from './behaviour';
import { parseDuration } from './durations';
import { Faults, type ArmFaultSpec, type EventFaultSpec } from './faults';
import { resolveMetrics, type FireAlert, type MetricSeries } from './monitor';
import type { FleetSpec, HealthRuleSpec, TimelineAction } from './fleet-spec';
import { rollingUpgradePolicySpec, SpecError } from './fleet-spec';
import {
  compareVersions,
  imageDefinitionId,
  imageNameOf,
  key,
  latestIn,
  scaleSetId,
  versionId,
  type FleetState,
  type ImageDefinition,
  type ImageTemplate,
  type ImageVersion,
  type Instance,
  type RegionReplica,
  type RollingUpgrade,
  type ScaleSet,
} from './fleet-model';
import { buildState, newScaleSet } from './fleet-build';
import { OperationStore, type Operation } from './operations';
import { keyedRandom, SeededIds } from './prng';
import { normalizeRegion } from './regions';
import { resourceEvent, type SimEvent } from './system-events';
import { versionJson } from './serialize';
import { DEFAULT_ROLLING_POLICY, UpgradeEngine } from './upgrade-engine';
import { VirtualClock } from './virtual-clock';

export interface TargetRegionInput {
  name: string;
  regionalReplicaCount?: number | undefined;
  excludeFromLatest?: boolean | undefined;
  storageAccountType?: string | undefined;
}
export interface VersionWrite {
  location?: string | undefined;
  targetRegions?: TargetRegionInput[] | undefined;
  excludeFromLatest?: boolean | undefined;
  replicaCount?: number | undefined;
  storageAccountType?: string | undefined;
  sourceId?: string | undefined;
  tags?: Record<string, string> | undefined;
}
export interface RequestContext {
  method: string;
  url: string;
  clientRequestId: string;
  correlationId: string;
}
export interface TimelineEntry {
  /** Simulated ms it runs at; undefined while it waits for its trigger (`when`). */
  at: number | undefined;
  action: TimelineAction;
  status: 'pending' | 'done' | 'failed';
  error?: string;
}

export class Simulation {
  readonly state: FleetState;
  readonly clock: VirtualClock;
  readonly behaviour: Behaviour;
  readonly health: HealthOracle;
  readonly ids: SeededIds;
  readonly ops: OperationStore;
  readonly engine: UpgradeEngine;
  readonly seed: number;
  readonly startTime: number;
  readonly eventLog: SimEvent[] = [];
  readonly timeline: TimelineEntry[] = [];
  /** Timeline entries that wait for their trigger (`when`), each fired once. */
  private readonly waiting: TimelineEntry[] = [];
  readonly listeners: ((e: SimEvent) => void)[] = [];
  /** ARM and Event Grid faults: the admin API's and the timeline's. */
  readonly faults: Faults;
  /** Azure Monitor: metric series of resources, and alert rules that fire (to the action groups' webhooks). */
  readonly metrics: MetricSeries[];
  readonly alertListeners: ((a: FireAlert) => void)[] = [];
  principalId = '11111111-2222-3333-4444-555555555555';

  constructor(spec: FleetSpec, opts: { seed?: number; speed?: number; manualClock?: boolean } = {}) {
    this.seed = opts.seed ?? spec.seed ?? 1;
    this.startTime = Date.parse(spec.startTime);
    this.ids = new SeededIds(this.seed);
    this.faults = new Faults(this.seed);
    this.clock = new VirtualClock(this.startTime, { speed: opts.speed ?? 1, manual: opts.manualClock ?? false });
    this.behaviour = resolveBehaviour(spec.behaviour);
    this.health = new HealthOracle(this.seed, spec.health, this.startTime);
    this.ops = new OperationStore(this.ids, () => this.clock.nowMs());
    this.state = buildState(spec, this.ids, this.startTime, this.health);
    this.engine = new UpgradeEngine({
      state: this.state,
      clock: this.clock,
      behaviour: this.behaviour,
      health: this.health,
      seed: this.seed,
      ids: this.ids,
      onEnded: () => undefined,
      onStarted: (set, ru) => this.triggered(set, ru),
    });
    this.metrics = resolveMetrics(this, spec.metrics);
    for (const a of spec.timeline) this.addTimelineAction(a);
    this.scheduleHealthWindows(this.health.windowEdges());
  }

  // ---- health --------------------------------------------------------------------------------------------

  /** Replaces or prepends health rules; every instance is read again now and when the new rules' windows and delays come. */
  setHealthRules(rules: HealthRuleSpec[], replace: boolean): void {
    const edges = new Set(this.health.windowEdges());
    const delays = new Set(this.health.afterUpgradeDelays());
    this.health.rules = replace ? rules : [...rules, ...this.health.rules];
    this.scheduleHealthWindows(this.health.windowEdges().filter((t) => !edges.has(t)));
    const newDelays = this.health.afterUpgradeDelays().filter((d) => !delays.has(d));
    if (newDelays.length > 0) for (const set of this.state.scaleSets.values()) for (const i of set.instances) this.engine.scheduleRechecks(set, i, newDelays);
    this.engine.recheckAll();
  }

  private scheduleHealthWindows(edges: number[]): void {
    for (const t of edges) if (t > this.clock.nowMs()) this.clock.schedule(t, 'health window', () => this.engine.recheckAll());
  }

  // ---- gallery -------------------------------------------------------------------------------------------

  image(name: string): ImageDefinition | undefined {
    return this.state.gallery.images.get(name.toLowerCase());
  }

  /** The image definition a scale set's image reference names. */
  imageOf(set: ScaleSet): ImageDefinition | undefined {
    return this.image(set.imageId.split('/').pop() ?? '');
  }

  /** The version the set's image reference resolves to now: its pinned version, or the latest its region can see. */
  referencedVersion(set: ScaleSet): string | undefined {
    const img = this.imageOf(set);
    return set.pinnedVersion ?? (img ? latestIn(img, set.location)?.name : undefined);
  }

  /** Points the set's image reference at `version` (undefined: the definition, tracking latest), as a PATCH does. */
  pin(set: ScaleSet, version: string | undefined): void {
    set.pinnedVersion = version;
    if (version) set.modelVersion = version;
  }

  putVersion(imageName: string, name: string, w: VersionWrite, ctx?: RequestContext): { version: ImageVersion; created: boolean; op: Operation } {
    const img = this.image(imageName);
    if (!img) throw new ArmError(404, 'ParentResourceNotFound', `Can not perform requested operation on nested resource. Parent resource '${this.state.gallery.name}/${imageName}' not found.`);
    const existing = img.versions.get(name);
    const op = this.ops.create({
      provider: 'Microsoft.Compute',
      location: normalizeRegion(w.location ?? img.location),
      subscriptionId: this.state.subscriptionId,
      resourceId: versionId(this.state, img.name, name),
    });
    let v = existing;
    if (!v) {
      v = {
        name,
        location: normalizeRegion(w.location ?? img.location),
        excludeFromLatest: w.excludeFromLatest ?? false,
        replicaCount: w.replicaCount ?? 1,
        storageAccountType: w.storageAccountType ?? 'Standard_LRS',
        publishedDate: this.clock.nowMs(),
        provisioningState: 'Creating',
        targetRegions: [],
        sourceId: w.sourceId ?? `/subscriptions/${this.state.subscriptionId}/resourceGroups/${this.state.gallery.resourceGroup}/providers/Microsoft.Compute/images/${img.name}-${name}`,
        tags: w.tags ?? {},
      };
      img.versions.set(name, v);
    } else {
      v.provisioningState = 'Updating';
      if (w.excludeFromLatest !== undefined) v.excludeFromLatest = w.excludeFromLatest;
      if (w.replicaCount !== undefined) v.replicaCount = w.replicaCount;
      if (w.tags) v.tags = w.tags;
    }
    const regions = w.targetRegions ?? (existing ? undefined : [{ name: v.location }]);
    this.applyTargetRegions(img, v, regions, op);
    this.emitResource('Microsoft.Resources.ResourceWriteSuccess', versionId(this.state, img.name, name), 'Microsoft.Compute/galleries/images/versions/write', ctx, 'PUT');
    return { version: v, created: !existing, op };
  }

  patchVersion(imageName: string, name: string, w: VersionWrite, ctx?: RequestContext): { version: ImageVersion; op: Operation } {
    const img = this.image(imageName);
    const v = img?.versions.get(name);
    if (!img || !v) throw new ArmError(404, 'ResourceNotFound', `The Resource 'Microsoft.Compute/galleries/${this.state.gallery.name}/images/${imageName}/versions/${name}' under resource group '${this.state.gallery.resourceGroup}' was not found.`);
    const op = this.ops.create({ provider: 'Microsoft.Compute', location: v.location, subscriptionId: this.state.subscriptionId, resourceId: versionId(this.state, img.name, name) });
    v.provisioningState = 'Updating';
    const wasExcluded = v.excludeFromLatest;
    if (w.excludeFromLatest !== undefined) v.excludeFromLatest = w.excludeFromLatest;
    if (w.replicaCount !== undefined) v.replicaCount = w.replicaCount;
    if (w.tags) v.tags = w.tags;
    this.applyTargetRegions(img, v, w.targetRegions, op);
    if (wasExcluded !== v.excludeFromLatest) for (const r of v.targetRegions) this.engine.onLatestChanged(this.imageKeyOf(img), r.region);
    this.emitResource('Microsoft.Resources.ResourceWriteSuccess', versionId(this.state, img.name, name), 'Microsoft.Compute/galleries/images/versions/write', ctx, 'PATCH');
    return { version: v, op };
  }

  private imageKeyOf(img: ImageDefinition): string {
    return imageDefinitionId(this.state, img.name).toLowerCase();
  }

  /** Applies a full targetRegions list (undefined = unchanged) and finishes the operation when replication is done. */
  private applyTargetRegions(img: ImageDefinition, v: ImageVersion, list: TargetRegionInput[] | undefined, op: Operation): void {
    const imageKey = this.imageKeyOf(img);
    const waiting = new Set<RegionReplica>();
    if (list) {
      const next: RegionReplica[] = [];
      let index = 0;
      for (const t of list) {
        const region = normalizeRegion(t.name);
        if (next.some((r) => r.region === region)) continue;
        const old = v.targetRegions.find((r) => r.region === region);
        if (old) {
          const before = old.excludeFromLatest;
          old.excludeFromLatest = t.excludeFromLatest;
          if (t.regionalReplicaCount !== undefined) old.regionalReplicaCount = t.regionalReplicaCount;
          if (t.storageAccountType !== undefined) old.storageAccountType = t.storageAccountType;
          if (old.state === 'Replicating') waiting.add(old);
          if (before !== old.excludeFromLatest && old.state === 'Completed') this.engine.onLatestChanged(imageKey, region);
          next.push(old);
          continue;
        }
        const replicas = t.regionalReplicaCount ?? v.replicaCount;
        const factor = (1 + 1 / Math.max(1, replicas)) / 2;
        const jitter = 0.9 + 0.2 * keyedRandom(this.seed, `repl|${v.name}|${region}`);
        const duration = this.behaviour.replicationTimeMs * factor * jitter + index * this.behaviour.regionStaggerMs;
        index++;
        const now = this.clock.nowMs();
        const r: RegionReplica = {
          region,
          regionalReplicaCount: replicas,
          storageAccountType: t.storageAccountType ?? v.storageAccountType,
          excludeFromLatest: t.excludeFromLatest,
          state: 'Replicating',
          startedAt: now,
          completesAt: now + Math.round(duration),
        };
        waiting.add(r);
        this.clock.schedule(r.completesAt, `replicate ${v.name} ${region}`, () => {
          if (!v.targetRegions.includes(r)) return;
          const fails = this.behaviour.replicationFailures.some((f) => f.version === v.name && f.region === region);
          r.state = fails ? 'Failed' : 'Completed';
          if (!fails) this.engine.onLatestChanged(imageKey, region);
        });
        next.push(r);
      }
      const removed = v.targetRegions.filter((r) => !next.includes(r));
      v.targetRegions = next;
      for (const r of removed) this.engine.onLatestChanged(imageKey, r.region);
    }
    const check = (): void => {
      if (op.status !== 'InProgress') return;
      for (const r of waiting) if (r.state === 'Replicating' && v.targetRegions.includes(r)) return;
      const failed = [...waiting].find((r) => r.state === 'Failed');
      v.provisioningState = failed ? 'Failed' : 'Succeeded';
      if (failed) this.ops.finish(op, 'Failed', { code: 'ReplicationFailed', message: `Replication of version ${v.name} to region ${failed.region} failed.` });
      else this.ops.finish(op, 'Succeeded');
    };
    if (waiting.size === 0) {
      check();
      return;
    }
    const last = Math.max(...[...waiting].map((r) => r.completesAt));
    this.clock.schedule(last, `version op ${v.name}`, check);
  }

  // ---- scale sets ----------------------------------------------------------------------------------------

  scaleSet(rg: string, name: string): ScaleSet | undefined {
    return this.state.scaleSets.get(key(rg, name));
  }

  findScaleSet(name: string): ScaleSet | undefined {
    for (const s of this.state.scaleSets.values()) if (s.name.toLowerCase() === name.toLowerCase()) return s;
    return undefined;
  }

  /** User-started OS upgrade (osRollingUpgrade). The operation ends with the rolling upgrade. */
  startOSUpgrade(set: ScaleSet, ctx?: RequestContext): Operation {
    if (set.rolling?.code === 'RollingForward') {
      throw new ArmError(409, 'OperationNotAllowed', `A rolling upgrade is already in progress on scale set '${set.name}'. Cancel it or wait for it to finish.`);
    }
    const op = this.ops.create({ provider: 'Microsoft.Compute', location: set.location, subscriptionId: this.state.subscriptionId, resourceId: undefined });
    const latest = this.referencedVersion(set);
    const uri = scaleSetId(this.state, set);
    const action = 'Microsoft.Compute/virtualMachineScaleSets/osRollingUpgrade/action';
    const behind = latest !== undefined && set.instances.some((i) => i.version !== latest);
    if (!latest || !behind) {
      this.ops.finish(op, 'Succeeded');
      this.emitResource('Microsoft.Resources.ResourceActionSuccess', uri, action, ctx, 'POST');
      return op;
    }
    const ru = this.engine.start(set, 'User', latest);
    ru.waiters.push((done: RollingUpgrade) => {
      if (done.code === 'Completed') {
        this.ops.finish(op, 'Succeeded');
        this.emitResource('Microsoft.Resources.ResourceActionSuccess', uri, action, ctx, 'POST');
      } else if (done.code === 'Cancelled') {
        this.ops.finish(op, 'Canceled', { code: 'OperationCanceled', message: 'The rolling upgrade was cancelled.' });
      } else {
        this.ops.finish(op, 'Failed', done.error ?? { code: 'RollingUpgradeFailed', message: 'The rolling upgrade failed.' });
        this.emitResource('Microsoft.Resources.ResourceActionFailure', uri, action, ctx, 'POST');
      }
    });
    return op;
  }

  /** New instances from the set's image reference: the pinned version, or the latest its region can see now. */
  scaleOut(set: ScaleSet, count: number): void {
    const version = this.referencedVersion(set) ?? set.modelVersion;
    let lastUniformId = Math.max(-1, ...set.instances.map((i) => Number(i.instanceId)).filter(Number.isFinite));
    for (let k = 0; k < count; k++) {
      const instanceId = set.orchestrationMode === 'Uniform' ? String(++lastUniformId) : `${set.name}_${this.ids.uuid().slice(0, 8)}`;
      const i: Instance = { instanceId, name: set.orchestrationMode === 'Uniform' ? `${set.name}_${instanceId}` : instanceId, version, previousVersion: undefined, health: 'unknown', state: 'running', forcedUnhealthyUntil: undefined, reimagedAt: undefined };
      set.instances.push(i);
      this.engine.reimaged(set, i);
      i.health = this.engine.healthOf(set, i);
    }
  }

  cancelRollingUpgrade(set: ScaleSet, ctx?: RequestContext): Operation {
    const ru = set.rolling;
    if (!ru || ru.code !== 'RollingForward') {
      throw new ArmError(409, 'OperationNotAllowed', `There is no rolling upgrade in progress on scale set '${set.name}' to cancel.`);
    }
    const op = this.ops.create({ provider: 'Microsoft.Compute', location: set.location, subscriptionId: this.state.subscriptionId, resourceId: undefined });
    ru.waiters.push(() => this.ops.finish(op, 'Succeeded'));
    this.engine.cancel(set);
    this.emitResource('Microsoft.Resources.ResourceActionSuccess', scaleSetId(this.state, set), 'Microsoft.Compute/virtualMachineScaleSets/rollingUpgrades/cancel/action', ctx, 'POST');
    return op;
  }

  makeUnhealthy(sets: ScaleSet[], percent: number, durationMs: number | undefined): void {
    const until = durationMs === undefined ? Number.POSITIVE_INFINITY : this.clock.nowMs() + durationMs;
    for (const set of sets) {
      const n = Math.ceil((set.instances.length * percent) / 100);
      const chosen = set.instances.slice(0, n);
      for (const i of chosen) {
        i.forcedUnhealthyUntil = until;
        i.health = 'unhealthy';
      }
      if (durationMs !== undefined) {
        this.clock.schedule(until, `recover ${set.name}`, () => {
          for (const i of chosen) if (i.state === 'running') i.health = this.engine.healthOf(set, i);
        });
      }
    }
  }

  // ---- events --------------------------------------------------------------------------------------------

  emitResource(eventType: string, resourceUri: string, operationName: string, ctx: RequestContext | undefined, method: string): SimEvent {
    const id = this.ids.uuid();
    const e = resourceEvent(id, this.clock.now(), {
      subscriptionId: this.state.subscriptionId,
      tenantId: this.state.tenantId,
      eventType,
      resourceUri,
      operationName,
      method: ctx?.method ?? method,
      url: ctx?.url ?? `https://management.azure.com${resourceUri}`,
      correlationId: ctx?.correlationId ?? id,
      clientRequestId: ctx?.clientRequestId ?? id,
      principalId: this.principalId,
    });
    this.publish(e);
    return e;
  }

  publish(e: SimEvent): void {
    this.eventLog.push(e);
    if (this.eventLog.length > 10_000) this.eventLog.splice(0, this.eventLog.length - 10_000);
    for (const l of this.listeners) l(e);
  }

  // ---- timeline ------------------------------------------------------------------------------------------

  addTimelineAction(action: TimelineAction, relativeToNow = false): TimelineEntry {
    const entry: TimelineEntry = { at: undefined, action, status: 'pending' };
    this.timeline.push(entry);
    if (action.when) this.waiting.push(entry);
    else this.scheduleEntry(entry, (relativeToNow ? this.clock.nowMs() : this.startTime) + parseDuration(action.at));
    return entry;
  }

  private triggered(set: ScaleSet, ru: RollingUpgrade): void {
    for (const entry of [...this.waiting]) {
      const on = entry.action.when?.upgradeStarts;
      if (!on || on.version !== ru.targetVersion || normalizeRegion(on.region) !== set.location) continue;
      if (on.image && imageNameOf(set).toLowerCase() !== on.image.toLowerCase()) continue;
      this.waiting.splice(this.waiting.indexOf(entry), 1);
      this.scheduleEntry(entry, this.clock.nowMs() + parseDuration(entry.action.at));
    }
  }

  private scheduleEntry(entry: TimelineEntry, at: number): void {
    const { action } = entry;
    entry.at = at;
    this.clock.schedule(at, `timeline ${action.action}`, () => {
      try {
        this.runAction(action);
        entry.status = 'done';
      } catch (e) {
        entry.status = 'failed';
        entry.error = e instanceof Error ? e.message : String(e);
      }
    });
  }

  runAction(a: TimelineAction): void {
    switch (a.action) {
      case 'publishVersion':
        this.putVersion(a.image, a.version, {
          targetRegions: (a.targetRegions ?? this.state.regions).map((t) => (typeof t === 'string' ? { name: t } : t)),
          excludeFromLatest: a.excludeFromLatest,
        });
        return;
      case 'setTargetRegions':
        this.patchVersion(a.image, a.version, { targetRegions: a.targetRegions.map((t) => (typeof t === 'string' ? { name: t } : t)) });
        return;
      case 'setExcludeFromLatest': {
        if (a.region === undefined) {
          this.patchVersion(a.image, a.version, { excludeFromLatest: a.value });
          return;
        }
        const v = this.image(a.image)?.versions.get(a.version);
        if (!v) throw new SpecError(`no version ${a.image}/${a.version}`);
        const region = normalizeRegion(a.region);
        const list = v.targetRegions.map((r) => ({
          name: r.region,
          regionalReplicaCount: r.regionalReplicaCount,
          storageAccountType: r.storageAccountType,
          excludeFromLatest: r.region === region ? a.value : r.excludeFromLatest,
        }));
        this.patchVersion(a.image, a.version, { targetRegions: list });
        return;
      }
      case 'runImageTemplate': {
        const t = [...this.state.templates.values()].find((x) => x.name.toLowerCase() === a.template.toLowerCase());
        if (!t) throw new SpecError(`no image template ${a.template}`);
        this.runTemplate(t);
        return;
      }
      case 'makeUnhealthy': {
        const sets = [...this.state.scaleSets.values()].filter(
          (s) => (a.scaleSet === undefined || s.name.toLowerCase() === a.scaleSet.toLowerCase()) && (a.region === undefined || s.location === normalizeRegion(a.region)),
        );
        this.makeUnhealthy(sets, a.percent, a.duration === undefined ? undefined : parseDuration(a.duration));
        return;
      }
      case 'fireAlert':
        for (const l of this.alertListeners) l(a);
        return;
      case 'createScaleSet': {
        const { at: _at, action: _action, region: raw, ...grp } = a;
        const region = normalizeRegion(raw);
        const img = this.state.gallery.images.get(grp.image.toLowerCase());
        if (!img) throw new SpecError(`createScaleSet: unknown image ${grp.image}`);
        const name = grp.name.replaceAll('{region}', region).replaceAll('{n}', '1');
        const rg = grp.resourceGroup.replaceAll('{region}', region).replaceAll('{n}', '1');
        if (this.state.scaleSets.has(key(rg, name))) throw new SpecError(`createScaleSet: ${rg}/${name} exists already`);
        const version = grp.pinnedVersion ?? latestIn(img, region)?.name;
        if (!version) throw new SpecError(`createScaleSet: no version of ${img.name} is available in ${region}`);
        const set = newScaleSet(this.state, { ...grp, instances: 0 }, { name, rg, region, version, createdAt: this.clock.nowMs() }, this.ids);
        this.state.scaleSets.set(key(rg, name), set);
        this.scaleOut(set, grp.instances);
        this.emitResource('Microsoft.Resources.ResourceWriteSuccess', scaleSetId(this.state, set), 'Microsoft.Compute/virtualMachineScaleSets/write', undefined, 'PUT');
        return;
      }
      case 'setRollingPolicy': {
        const sets = [...this.state.scaleSets.values()].filter(
          (s) => (a.scaleSet === undefined || s.name.toLowerCase() === a.scaleSet.toLowerCase()) && (a.region === undefined || s.location === normalizeRegion(a.region)),
        );
        if (sets.length === 0) throw new SpecError(`setRollingPolicy: no scale set ${a.scaleSet ?? ''}${a.region ? ` in ${a.region}` : ''}`);
        for (const s of sets) s.upgradePolicy.rollingUpgradePolicy = rollingUpgradePolicySpec.parse({ ...DEFAULT_ROLLING_POLICY, ...(s.upgradePolicy.rollingUpgradePolicy ?? {}), ...a.policy });
        return;
      }
      case 'scaleOut':
      case 'scaleIn': {
        const set = this.findScaleSet(a.scaleSet);
        if (!set) throw new SpecError(`no scale set ${a.scaleSet}`);
        if (a.action === 'scaleIn') set.instances.splice(Math.max(0, set.instances.length - a.count));
        else this.scaleOut(set, a.count);
        return;
      }
      case 'pinScaleSet': {
        const set = this.findScaleSet(a.scaleSet);
        if (!set) throw new SpecError(`no scale set ${a.scaleSet}`);
        if (a.version !== null && !this.imageOf(set)?.versions.has(a.version)) throw new SpecError(`no version ${a.version} of ${set.imageId}`);
        this.pin(set, a.version ?? undefined);
        this.engine.considerDetection(set);
        return;
      }
      case 'armFault':
      case 'eventFault': {
        const { at: _at, action, until, ...spec } = a;
        const f = action === 'armFault' ? this.faults.addArm(spec as ArmFaultSpec) : this.faults.addEvent(spec as EventFaultSpec);
        if (until !== undefined) this.clock.schedule(this.startTime + parseDuration(until), `end of fault ${f.id}`, () => this.faults.remove(f.id));
        return;
      }
      case 'startOSUpgrade':
      case 'cancelRollingUpgrade': {
        const s = this.findScaleSet(a.scaleSet);
        if (!s) throw new SpecError(`no scale set ${a.scaleSet}`);
        if (a.action === 'startOSUpgrade') this.startOSUpgrade(s);
        else this.cancelRollingUpgrade(s);
        return;
      }
    }
  }

  // ---- image builder -------------------------------------------------------------------------------------

  runTemplate(t: ImageTemplate, ctx?: RequestContext): Operation {
    if (t.lastRunStatus?.runState === 'Running') {
      throw new ArmError(409, 'Conflict', `Image template '${t.name}' is already running a build.`);
    }
    const op = this.ops.create({ provider: 'Microsoft.VirtualMachineImages', location: t.location, subscriptionId: this.state.subscriptionId, resourceId: undefined });
    const start = this.clock.nowMs();
    const run = { startTime: start, endTime: undefined as number | undefined, runState: 'Running', runSubState: 'Queued' as string | undefined, message: '' };
    t.lastRunStatus = run;
    const outcome = t.outcomes[Math.min(t.runs, t.outcomes.length - 1)] ?? 'Succeeded';
    t.runs++;
    const subStates = ['Building', 'Customizing', 'Optimizing', 'Validating'];
    subStates.forEach((s, i) => this.clock.schedule(start + ((i + 1) * t.buildDurationMs) / (subStates.length + 1), `aib ${t.name} ${s}`, () => {
      if (run.runState === 'Running') run.runSubState = s;
    }));
    this.clock.schedule(start + t.buildDurationMs, `aib ${t.name} done`, () => {
      const end = (state: string, message: string): void => {
        run.runState = state;
        run.runSubState = undefined;
        run.message = message;
        run.endTime = this.clock.nowMs();
      };
      if (outcome === 'Failed') {
        end('Failed', 'Build failed: a customizer exited with a non-zero code (simulated).');
        this.ops.finish(op, 'Failed', { code: 'BuildFailed', message: run.message });
        return;
      }
      run.runSubState = 'Distributing';
      const img = [...this.state.gallery.images.values()].find((i) => imageDefinitionId(this.state, i.name).toLowerCase() === t.imageKey);
      if (!img) {
        end('Failed', 'Distribution failed: the target gallery image definition does not exist.');
        this.ops.finish(op, 'Failed', { code: 'BadSharedImageDistribute', message: run.message });
        return;
      }
      const successes = t.runOutputs.length;
      const name = t.versions[successes] ?? this.bumpPatch(img);
      try {
        const { op: vop } = this.putVersion(img.name, name, {
          targetRegions: t.targetRegions ?? this.state.regions.map((r) => ({ name: r })),
          excludeFromLatest: t.excludeFromLatest,
        }, ctx);
        const poll = (): void => {
          if (vop.status === 'InProgress') {
            this.clock.after(60_000, `aib ${t.name} distribute`, poll);
            return;
          }
          if (vop.status === 'Succeeded') {
            t.runOutputs.push({ name: `${t.name}-${name}`, artifactId: versionId(this.state, img.name, name), provisioningState: 'Succeeded' });
            end('Succeeded', '');
            this.ops.finish(op, 'Succeeded');
          } else {
            end('PartiallySucceeded', `Distribution of ${name} failed: ${vop.error?.message ?? ''}`);
            this.ops.finish(op, 'Failed', { code: 'DistributeFailed', message: run.message });
          }
        };
        poll();
      } catch (e) {
        end('Failed', (e as Error).message);
        this.ops.finish(op, 'Failed', { code: 'BadSharedImageDistribute', message: run.message });
      }
    });
    return op;
  }

  private bumpPatch(img: ImageDefinition): string {
    let best = '0.0.0';
    for (const v of img.versions.keys()) if (compareVersions(v, best) > 0) best = v;
    const [a, b, c] = best.split('.').map(Number);
    return `${a ?? 0}.${b ?? 0}.${(c ?? 0) + 1}`;
  }

  /** The ARM body of a resource by id (image versions only: the results of long-running writes). */
  resourceBody(resourceId: string): Record<string, unknown> | undefined {
    const m = /\/images\/([^/]+)\/versions\/([^/]+)$/i.exec(resourceId);
    const img = m ? this.image(m[1] ?? '') : undefined;
    const v = img?.versions.get(m?.[2] ?? '');
    return img && v ? versionJson(this.state, img, v, this.clock.nowMs(), false) : undefined;
  }

  close(): void {
    this.clock.stop();
  }
}
