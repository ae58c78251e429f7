/**
 * Compute Gallery image versions: read with replication status, list, and the two release levers — regional
 * `excludeFromLatest` and `targetRegions` — written by read-modify-write of the *full* `targetRegions` list, plus
 * demotion. See https://learn.microsoft.com/rest/api/compute/gallery-image-versions
 *
 * Why read-modify-write: PATCH replaces `publishingProfile.targetRegions` as a whole, so a region left out is a region
 * deleted (and its replicas with it). Each write therefore starts from a fresh GET, keeps every entry's
 * `regionalReplicaCount` and `storageAccountType`, and re-reads just before the PATCH: if the list changed in between
 * (another writer), the change is recomputed from the newer list (bounded by `maxConcurrencyRetries`) and surfaces as
 * `Conflict` when it keeps moving.
 */
import type { ComputeManagementClient } from '@azure/arm-compute';
import { Conflict, NotFound } from './errors';
import { type CallOptions, callArm, callLro, type LroCallOptions, normalizeRegion, type PortRuntime } from './port-runtime';
import { galleryImageIdOf, parseGalleryImageId, parseGalleryImageVersionId, type GalleryImageVersionId } from './resource-ids';
import type { ReplicationState, TargetRegion, VersionSnapshot } from './types';

export interface RegionalExclusion {
  region: string;
  excludeFromLatest: boolean;
}

export interface TargetRegionInput {
  name: string;
  /** Default true: a newly added region stays out of "latest" until its ring opens. */
  excludeFromLatest?: boolean;
  regionalReplicaCount?: number;
  storageAccountType?: string;
}

export interface WriteResult {
  /** False when the version already had the requested state (nothing was written). */
  changed: boolean;
  version: VersionSnapshot;
}

export interface GalleryPort {
  getVersion(versionId: string, options?: CallOptions): Promise<VersionSnapshot>;
  listVersions(imageId: string, options?: CallOptions): Promise<VersionSnapshot[]>;
  /** Flips regional flags (regions must already be target regions). Waits for the PATCH by default. */
  setRegionalExcludeFromLatest(versionId: string, changes: readonly RegionalExclusion[], options?: LroCallOptions): Promise<WriteResult>;
  /** Adds target regions (replication starts). Returns when ARM accepted the PATCH unless `waitForCompletion`. */
  addTargetRegions(versionId: string, regions: readonly TargetRegionInput[], options?: LroCallOptions): Promise<WriteResult>;
  /**
   * Version-level and every regional `excludeFromLatest` → true: a regional `false` (set when a ring was opened by
   * flag) overrides the version-level flag in that region, so flipping only the version flag would not stop it.
   * Idempotent: a demoted version is not written again. Waits for the PATCH by default.
   */
  demote(versionId: string, options?: LroCallOptions): Promise<WriteResult>;
}

/** The SDK surface the port uses (so the seam is obvious). */
type VersionsOps = ComputeManagementClient['galleryImageVersions'];
type SdkVersion = Awaited<ReturnType<VersionsOps['get']>>;

const REPLICATION_STATES: readonly ReplicationState[] = ['Completed', 'Replicating', 'Failed', 'Unknown'];

/** Maps an SDK gallery image version to our snapshot. */
export function toVersionSnapshot(v: SdkVersion, fallbackId?: string): VersionSnapshot {
  const id = v.id ?? fallbackId ?? '';
  const parsed = parseGalleryImageVersionId(id);
  const pp = v.publishingProfile;
  const snapshot: VersionSnapshot = {
    id,
    name: v.name ?? parsed?.version ?? '',
    imageId: parsed ? galleryImageIdOf(parsed) : id.replace(/\/versions\/[^/]+$/i, ''),
    excludeFromLatest: pp?.excludeFromLatest ?? false,
    targetRegions: (pp?.targetRegions ?? []).map((t) => {
      const r: TargetRegion = { name: t.name, excludeFromLatest: t.excludeFromLatest ?? pp?.excludeFromLatest ?? false };
      if (t.regionalReplicaCount !== undefined) r.regionalReplicaCount = t.regionalReplicaCount;
      if (t.storageAccountType !== undefined) r.storageAccountType = t.storageAccountType;
      return r;
    }),
    replication: (v.replicationStatus?.summary ?? []).map((s) => {
      const state = REPLICATION_STATES.find((x) => x.toLowerCase() === (s.state ?? '').toLowerCase()) ?? 'Unknown';
      const r = { region: s.region ?? '', state, progress: s.progress ?? 0 } as VersionSnapshot['replication'][number];
      if (s.details) r.details = s.details;
      return r;
    }),
  };
  const agg = v.replicationStatus?.aggregatedState;
  if (agg === 'Unknown' || agg === 'InProgress' || agg === 'Completed' || agg === 'Failed') snapshot.aggregatedReplicationState = agg;
  if (v.provisioningState) snapshot.provisioningState = v.provisioningState;
  const published = pp?.publishedDate;
  if (published) snapshot.publishedAt = published instanceof Date ? published.toISOString() : String(published);
  return snapshot;
}

/** The exact `targetRegions` entries as sent back to ARM: every field we read, nothing invented. */
type SdkTargetRegion = NonNullable<NonNullable<SdkVersion['publishingProfile']>['targetRegions']>[number];

function regionsKey(list: readonly SdkTargetRegion[] | undefined): string {
  return JSON.stringify(
    (list ?? [])
      .map((t) => [normalizeRegion(t.name), t.excludeFromLatest ?? null, t.regionalReplicaCount ?? null, t.storageAccountType ?? null])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
  );
}

function requireVersionId(versionId: string): GalleryImageVersionId {
  const id = parseGalleryImageVersionId(versionId);
  if (!id) throw new NotFound(`not a gallery image version id: ${versionId}`);
  return id;
}

export interface GalleryPortOptions extends PortRuntime {
  /** How many times a read-modify-write restarts after seeing a concurrent change (default 3). */
  maxConcurrencyRetries?: number;
}

/** The gallery port over `@azure/arm-compute`; `clientFor(subscriptionId)` returns a (cached) client. */
export function createGalleryPort(
  clientFor: (subscriptionId: string) => ComputeManagementClient,
  runtime: GalleryPortOptions = {},
): GalleryPort {
  const ops = (id: GalleryImageVersionId | { subscriptionId: string }) => clientFor(id.subscriptionId).galleryImageVersions;

  const read = (id: GalleryImageVersionId, operation: 'gallery.getVersion' | 'gallery.demote' | 'gallery.setTargetRegions', expand: boolean, options?: CallOptions) =>
    callArm(
      operation,
      () =>
        ops(id).get(id.resourceGroup, id.gallery, id.image, id.version, {
          ...(expand ? { expand: 'ReplicationStatus' as const } : {}),
          ...(options?.abortSignal ? { abortSignal: options.abortSignal } : {}),
        }),
      runtime,
      options,
    );

  /**
   * Read-modify-write of `publishingProfile`. `modify` returns the new profile fields, or undefined for "already so".
   */
  async function rmw(
    versionId: string,
    operation: 'gallery.setRegionalExcludeFromLatest' | 'gallery.addTargetRegions' | 'gallery.demote',
    modify: (current: SdkVersion) => { targetRegions: SdkTargetRegion[]; excludeFromLatest?: boolean } | undefined,
    waitByDefault: boolean,
    options?: LroCallOptions,
  ): Promise<WriteResult> {
    const id = requireVersionId(versionId);
    const maxRetries = runtime.maxConcurrencyRetries ?? 3;
    // The first read expands replication status so that "already so" answers in one call.
    let current = await read(id, 'gallery.setTargetRegions', true, options);
    for (let round = 0; ; round++) {
      const next = modify(current);
      if (!next) return { changed: false, version: toVersionSnapshot(current, versionId) };
      // Re-read just before writing: if someone else changed the list or the flag, recompute from theirs.
      const fresh = await read(id, 'gallery.setTargetRegions', true, options);
      const before = current.publishingProfile;
      const now = fresh.publishingProfile;
      if (regionsKey(before?.targetRegions) !== regionsKey(now?.targetRegions) || before?.excludeFromLatest !== now?.excludeFromLatest) {
        if (round >= maxRetries) {
          throw new Conflict(`${operation}: targetRegions of ${versionId} kept changing under us (${round + 1} attempts)`, { operation });
        }
        current = fresh;
        continue;
      }
      const profile: { targetRegions: SdkTargetRegion[]; excludeFromLatest?: boolean } = { targetRegions: next.targetRegions };
      const flag = next.excludeFromLatest ?? now?.excludeFromLatest;
      if (flag !== undefined) profile.excludeFromLatest = flag;
      await callLro(operation, (o) => ops(id).update(id.resourceGroup, id.gallery, id.image, id.version, { publishingProfile: profile }, o), runtime, options, waitByDefault);
      return { changed: true, version: toVersionSnapshot(await read(id, 'gallery.getVersion', true, options), versionId) };
    }
  }

  return {
    async getVersion(versionId, options) {
      const id = requireVersionId(versionId);
      return toVersionSnapshot(await read(id, 'gallery.getVersion', true, options), versionId);
    },

    async listVersions(imageId, options) {
      const id = parseGalleryImageId(imageId);
      if (!id) throw new NotFound(`not a gallery image id: ${imageId}`);
      return callArm(
        'gallery.listVersions',
        async () => {
          const out: VersionSnapshot[] = [];
          const iter = ops(id).listByGalleryImage(id.resourceGroup, id.gallery, id.image, options?.abortSignal ? { abortSignal: options.abortSignal } : {});
          for await (const v of iter) out.push(toVersionSnapshot(v));
          return out;
        },
        runtime,
        options,
      );
    },

    setRegionalExcludeFromLatest(versionId, changes, options) {
      return rmw(
        versionId,
        'gallery.setRegionalExcludeFromLatest',
        (current) => {
          const pp = current.publishingProfile;
          const list = [...(pp?.targetRegions ?? [])];
          const missing = changes.filter((c) => !list.some((t) => normalizeRegion(t.name) === normalizeRegion(c.region)));
          if (missing.length > 0) {
            throw new NotFound(
              `gallery.setRegionalExcludeFromLatest: ${missing.map((m) => m.region).join(', ')} not in targetRegions of ${versionId}; add the region first`,
              { operation: 'gallery.setRegionalExcludeFromLatest' },
            );
          }
          let changed = false;
          const next = list.map((t) => {
            const c = changes.find((x) => normalizeRegion(x.region) === normalizeRegion(t.name));
            const effective = t.excludeFromLatest ?? pp?.excludeFromLatest ?? false;
            if (!c || (t.excludeFromLatest !== undefined && effective === c.excludeFromLatest)) return t;
            changed = true;
            return { ...t, excludeFromLatest: c.excludeFromLatest };
          });
          return changed ? { targetRegions: next } : undefined;
        },
        true,
        options,
      );
    },

    addTargetRegions(versionId, regions, options) {
      return rmw(
        versionId,
        'gallery.addTargetRegions',
        (current) => {
          const list = [...(current.publishingProfile?.targetRegions ?? [])];
          const added = regions.filter((r) => !list.some((t) => normalizeRegion(t.name) === normalizeRegion(r.name)));
          if (added.length === 0) return undefined;
          for (const r of added) {
            const t: SdkTargetRegion = { name: r.name, excludeFromLatest: r.excludeFromLatest ?? true };
            if (r.regionalReplicaCount !== undefined) t.regionalReplicaCount = r.regionalReplicaCount;
            if (r.storageAccountType !== undefined) t.storageAccountType = r.storageAccountType as SdkTargetRegion['storageAccountType'];
            list.push(t);
          }
          return { targetRegions: list };
        },
        false,
        options,
      );
    },

    demote(versionId, options) {
      return rmw(
        versionId,
        'gallery.demote',
        (current) => {
          const pp = current.publishingProfile;
          const list = pp?.targetRegions ?? [];
          const done = pp?.excludeFromLatest === true && list.every((t) => t.excludeFromLatest !== false);
          if (done) return undefined;
          return { excludeFromLatest: true, targetRegions: list.map((t) => (t.excludeFromLatest === false ? { ...t, excludeFromLatest: true } : t)) };
        },
        true,
        options,
      );
    },
  };
}
