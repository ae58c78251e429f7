/**
 * The Azure side of a release, in the engine's words: `observe` reads ARM and returns core `ReleaseEvent`s,
 * `execute` carries out a core `Command` that writes to ARM. Every Azure shape (gallery version, Resource Graph
 * row, rolling-upgrade status, OS upgrade history, instance view, metric series) stops here: nothing past this
 * file sees an SDK or an Azure-worded type.
 *
 * ```ts
 * const world = createReleaseWorld(createAzureAdapters(settings));
 * const { events } = await world.observe({ versionId, plan, fleet: true, upgradesOf: ids });
 * await world.execute({ kind: 'demote-version', versionId, cause: 'breach' });
 * ```
 */
import {
  newestVersion,
  upgradeFingerprint,
  type Command,
  type ReleaseEvent,
  type ReleasePlan,
  type ReplicationState,
  type RollingUpgradeCode,
} from '../core';
import { parseDuration } from '../core/duration';
import { Conflict, NotFound, toErrorMessage } from './errors';
import type { FleetPort } from './fleet-port';
import type { GalleryPort } from './gallery-port';
import type { ImageBuilderPort } from './image-builder-port';
import type { MonitorPort } from './monitor-port';
import { mapLimited, normalizeRegion } from './port-runtime';
import { galleryImageIdOf, parseGalleryImageVersionId } from './resource-ids';
import type { RollingUpgradeStatus } from './types';

/** The ARM writes among the engine's commands (notices are carried out by the notifiers). */
export type ArmCommand = Exclude<Command, { kind: 'notify' }>;

export interface ObserveRequest {
  versionId: string;
  /** The release's plan: its rings for the fleet read, its metric gates, its image for the other versions. */
  plan?: ReleasePlan;
  /** Read the rings' scale sets (a fresh start, or a new round of fleet discovery) and the image's other versions. */
  fleet?: boolean;
  /** Read the version's exposure and replication (default true). */
  version?: boolean;
  /** Scale sets whose latest rolling upgrade to read. */
  upgradesOf?: readonly string[];
  /** Name the version each new upgrade rolls out (one OS upgrade history read per upgrade; default true). */
  upgradeTargets?: boolean;
  /** Scale sets whose instances (health and version) to read. */
  instancesOf?: readonly string[];
  /** Read the plan's metric gates at this time (ISO). */
  gatesAt?: string;
  /** What the release already knows, so only changes come back. */
  knownReplication?: Readonly<Record<string, ReplicationState>>;
  knownUpgrades?: Readonly<Record<string, string>>;
}

export interface Observation {
  events: ReleaseEvent[];
  /** Why the observation is partial (an ARM read failed); the release carries on with what it has. */
  errors: string[];
  /** False when the version does not exist (any more). */
  exists: boolean;
}

export interface ReleaseWorld {
  observe(request: ObserveRequest): Promise<Observation>;
  /** Carries out one ARM write; resolves with what was done once ARM accepted it, rejects with an `AzureError`. */
  execute(command: ArmCommand): Promise<string>;
  /** The versions of an image definition (the reconciler's listing). */
  listVersions(imageId: string): Promise<{ id: string; name: string; publishedAt?: string; excludeFromLatest: boolean }[]>;
  /** An Image Builder template's last run; undefined when it never ran. */
  readTemplateRun(imageTemplateId: string): Promise<{ runState?: string; message?: string; endTime?: string } | undefined>;
}

export interface AzurePorts {
  gallery: GalleryPort;
  fleet: FleetPort;
  imageBuilder: ImageBuilderPort;
  monitor: MonitorPort;
}

/**
 * Writes return once ARM accepted them: the model change (a flag, a target region, a cancel request) is in effect
 * from then on, while the long-running operation tracks replication or the upgrade batch, which can take hours.
 * The release re-reads ARM every round, so it sees the outcome anyway.
 */
const ACCEPTED = { waitForCompletion: false } as const;

/** Per-set reads in flight at once: a ring of hundreds of sets should not open hundreds of connections. */
export const READ_CONCURRENCY = 16;

/** Upgrade targets remembered per process (set|startTime → version): OS upgrade history is read once per upgrade. */
const TARGET_CACHE_LIMIT = 10_000;

const KNOWN_CODES: ReadonlySet<string> = new Set<RollingUpgradeCode>(['RollingForward', 'Cancelled', 'Completed', 'Faulted']);

/** Azure's `runningStatus.code`; a code this version does not know is `Unknown` (judged inconclusive, never guessed). */
export function upgradeCodeOf(code: string | undefined): RollingUpgradeCode {
  return code !== undefined && KNOWN_CODES.has(code) ? (code as RollingUpgradeCode) : 'Unknown';
}

/**
 * The gallery version an OS upgrade rolls out, from its history entry's `targetImageReference`: the `/versions/{v}`
 * segment of its id, else `exactVersion` (the version `latest` resolved to), under the image definition of
 * `versionId` (the release's version).
 */
export function targetVersionId(versionId: string, target: { id?: string; exactVersion?: string } | undefined): string | undefined {
  const named = parseGalleryImageVersionId(target?.id ?? '')?.version ?? target?.exactVersion;
  return named ? `${imageDefinitionOf(versionId)}/versions/${named}` : undefined;
}

/** The image definition of a version id (the id itself when it names no version). */
function imageDefinitionOf(versionId: string): string {
  const v = parseGalleryImageVersionId(versionId);
  return v ? galleryImageIdOf(v) : versionId;
}

export function createReleaseWorld(azure: AzurePorts): ReleaseWorld {
  const targets = new Map<string, string | null>();

  /** Which version the upgrade that started at `startTime` rolls out (one history read per upgrade). */
  const targetOf = async (versionId: string, u: RollingUpgradeStatus): Promise<string | undefined> => {
    if (u.startTime === undefined) return undefined;
    const key = `${u.scaleSetId.toLowerCase()}|${u.startTime}`;
    if (!targets.has(key)) {
      const entries = await azure.fleet.listOSUpgradeHistory(u.scaleSetId, { firstPage: true });
      const entry = entries.find((h) => h.startTime === u.startTime);
      // History may lag the latest status by a moment: unknown now, read again next round.
      if (!entry) return undefined;
      if (targets.size >= TARGET_CACHE_LIMIT) targets.clear();
      targets.set(key, targetVersionId(versionId, entry.targetImage) ?? null);
    }
    return targets.get(key) ?? undefined;
  };

  const upgradeEvent = async (releaseVersionId: string, u: RollingUpgradeStatus, errors: string[], tag: boolean): Promise<ReleaseEvent> => {
    let versionId: string | undefined;
    try {
      if (tag) versionId = await targetOf(releaseVersionId, u);
    } catch (err) {
      errors.push(`OS upgrade history of ${u.scaleSetId} failed: ${toErrorMessage(err)}`);
    }
    const code = upgradeCodeOf(u.code);
    const unknown = code === 'Unknown' ? `Azure reported runningStatus.code "${String(u.code).slice(0, 80)}"` : undefined;
    return {
      kind: 'rolling-upgrade-observed',
      scaleSetId: u.scaleSetId,
      code,
      progress: u.progress,
      ...(versionId ? { versionId } : {}),
      ...(u.startTime ? { startTime: u.startTime } : {}),
      ...(u.errorCode ? { errorCode: u.errorCode } : {}),
      ...(u.errorMessage || unknown ? { errorMessage: [unknown, u.errorMessage].filter(Boolean).join('; ') } : {}),
    };
  };

  const readFleet = async (plan: ReleasePlan): Promise<ReleaseEvent> => {
    // One query for every ring without a selector, and one per ring with its own (usually none).
    const plain = plan.rings.filter((r) => !r.selector).flatMap((r) => r.regions);
    const queries = [
      ...(plain.length ? [{ imageId: plan.image, regions: plain }] : []),
      ...plan.rings.filter((r) => r.selector).map((r) => ({ imageId: plan.image, regions: r.regions, selector: r.selector! })),
    ];
    const sets = (await Promise.all(queries.map((q) => azure.fleet.findScaleSets(q)))).flat();
    return { kind: 'fleet-observed', scaleSets: sets.map((s) => ({ id: s.id, region: s.region, capacity: s.capacity, ...(s.pinnedVersion ? { pinnedVersion: s.pinnedVersion } : {}) })) };
  };

  const readVersion = async (req: ObserveRequest, out: Observation): Promise<void> => {
    let v;
    try {
      v = await azure.gallery.getVersion(req.versionId);
    } catch (err) {
      if (err instanceof NotFound) {
        out.exists = false;
        return;
      }
      throw err;
    }
    // With the fleet (a fresh start), the image's other versions: one that sorts below the newest can never be latest.
    let newestOtherVersion: string | undefined;
    if (req.fleet) {
      try {
        const image = imageDefinitionOf(v.id);
        const self = v.id.toLowerCase();
        // A version excluded from latest (demoted) is no obstacle: only one that can be latest is.
        newestOtherVersion = newestVersion((await azure.gallery.listVersions(image)).filter((o) => o.id.toLowerCase() !== self && !o.excludeFromLatest))?.name;
      } catch (err) {
        out.errors.push(`version list failed: ${toErrorMessage(err)}`);
      }
    }
    // ARM writes regions either way ("East US", "eastus"); plans use the short form.
    const targetRegions = v.targetRegions.map((t) => ({ name: normalizeRegion(t.name), excludeFromLatest: t.excludeFromLatest }));
    out.events.push({ kind: 'version-published', versionId: v.id, excludeFromLatest: v.excludeFromLatest, targetRegions, ...(newestOtherVersion ? { newestOtherVersion } : {}) });
    for (const r of v.replication) {
      const region = normalizeRegion(r.region);
      if (req.knownReplication?.[region] !== r.state) out.events.push({ kind: 'replication-observed', versionId: v.id, region, state: r.state, ...(r.details ? { message: r.details } : {}) });
    }
  };

  const readGates = async (plan: ReleasePlan, at: Date, out: Observation): Promise<void> => {
    for (const gate of plan.health.metrics) {
      if (!gate.resourceId) continue;
      try {
        const windowMs = parseDuration(gate.window) ?? 300_000;
        const series = await azure.monitor.readMetric(gate.resourceId, { metricName: gate.metric, aggregation: gate.aggregation, from: new Date(at.getTime() - windowMs).toISOString(), to: at.toISOString() });
        const values = series.points.map((p) => p.value).filter((x): x is number => x !== undefined);
        out.events.push({ kind: 'gate-observed', gate: gate.name, value: values.length ? values[values.length - 1]! : null });
      } catch (err) {
        out.errors.push(`metric gate ${gate.name} read failed: ${toErrorMessage(err)}`);
      }
    }
  };

  return {
    async observe(req) {
      const out: Observation = { events: [], errors: [], exists: true };
      const attempt = async (what: string, read: () => Promise<void>) => {
        try {
          await read();
        } catch (err) {
          out.errors.push(`${what} failed: ${toErrorMessage(err)}`);
        }
      };
      const plan = req.plan;
      if (req.fleet && plan) await attempt('fleet read', async () => void out.events.push(await readFleet(plan)));
      if (req.version !== false) await attempt('version read', () => readVersion(req, out));
      // Instance evidence before the rolling upgrades: the engine weighs a platform fault of this round against it.
      const instanceSets = req.instancesOf ?? [];
      if (instanceSets.length) {
        await attempt('instance read', async () => {
          // One set's failed read leaves that set without evidence this round, not the others.
          const lists = await mapLimited(instanceSets, READ_CONCURRENCY, (id) => azure.fleet.listInstances(id).catch(() => undefined));
          lists.forEach((instances, i) => instances && out.events.push({ kind: 'instances-observed', scaleSetId: instanceSets[i]!, instances }));
        });
      }
      const upgradeSets = req.upgradesOf ?? [];
      if (upgradeSets.length) {
        await attempt('rolling upgrade read', async () => {
          const statuses = await mapLimited(upgradeSets, READ_CONCURRENCY, (id) => azure.fleet.getLatestRollingUpgrade(id));
          const changed = statuses.filter((u): u is RollingUpgradeStatus => u !== undefined && req.knownUpgrades?.[u.scaleSetId] !== upgradeFingerprint(u));
          // Their versions (history reads of upgrades not seen before) in parallel too, in the same order.
          out.events.push(...(await mapLimited(changed, READ_CONCURRENCY, (u) => upgradeEvent(req.versionId, u, out.errors, req.upgradeTargets !== false))));
        });
      }
      if (req.gatesAt && plan) await readGates(plan, new Date(req.gatesAt), out);
      return out;
    },

    async execute(c) {
      switch (c.kind) {
        case 'set-regional-exclude':
          await azure.gallery.setRegionalExcludeFromLatest(c.versionId, c.regions.map((region) => ({ region, excludeFromLatest: c.excludeFromLatest })), ACCEPTED);
          return `targetRegions ${c.regions.join(', ')} excludeFromLatest=${c.excludeFromLatest}`;
        case 'set-target-regions':
          await azure.gallery.addTargetRegions(c.versionId, c.addRegions.map((name) => ({ name, excludeFromLatest: false })), ACCEPTED);
          return `targetRegions += ${c.addRegions.join(', ')}`;
        case 'demote-version':
          await azure.gallery.demote(c.versionId, ACCEPTED);
          return 'publishingProfile.excludeFromLatest=true';
        case 'cancel-rolling-upgrade':
          try {
            await azure.fleet.cancelRollingUpgrade(c.scaleSetId, ACCEPTED);
          } catch (err) {
            // Nothing to cancel (no upgrade in progress) is the outcome we wanted.
            if (!(err instanceof Conflict || err instanceof NotFound)) throw err;
            return `no rolling upgrade to cancel on ${c.scaleSetId}`;
          }
          return `rolling upgrade cancelled on ${c.scaleSetId}`;
        case 'start-os-upgrade':
          try {
            await azure.fleet.startOSUpgrade(c.scaleSetId, ACCEPTED);
          } catch (err) {
            // An upgrade already running (the platform picked the version up first) is the outcome we wanted.
            if (!(err instanceof Conflict)) throw err;
            return `OS upgrade already running on ${c.scaleSetId}`;
          }
          return `OS upgrade started on ${c.scaleSetId}`;
        case 'start-rebake':
          await azure.imageBuilder.runTemplate(c.imageTemplateId, ACCEPTED);
          return `image template run started: ${c.imageTemplateId}`;
      }
    },

    async listVersions(imageId) {
      return (await azure.gallery.listVersions(imageId)).map((v) => ({ id: v.id, name: v.name, excludeFromLatest: v.excludeFromLatest, ...(v.publishedAt ? { publishedAt: v.publishedAt } : {}) }));
    },

    async readTemplateRun(id) {
      const r = await azure.imageBuilder.getLastRunStatus(id);
      return { ...(r.runState ? { runState: r.runState } : {}), ...(r.message ? { message: r.message } : {}), ...(r.endTime ? { endTime: r.endTime } : {}) };
    },
  };
}
