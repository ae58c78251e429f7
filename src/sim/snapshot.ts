// The admin API's view of the fleet: versions with per-region replication and exclusion, "latest" per region,
// scale sets with per-instance version and health, rolling upgrade states, templates.
import { excludedIn, latestIn, scaleSetId } from './fleet-model';
import type { Simulation } from './simulation';
import { replicationStatusJson } from './serialize';
import { autoUpgradeBlocker } from './upgrade-engine';

export function snapshot(sim: Simulation, opts: { instances?: boolean } = {}): Record<string, unknown> {
  const f = sim.state;
  const now = sim.clock.nowMs();
  const images = [...f.gallery.images.values()].map((img) => ({
    name: img.name,
    latest: Object.fromEntries(f.regions.map((r) => [r, latestIn(img, r)?.name ?? null])),
    versions: [...img.versions.values()].map((v) => {
      const rs = replicationStatusJson(v, now);
      return {
        version: v.name,
        provisioningState: v.provisioningState,
        excludeFromLatest: v.excludeFromLatest,
        aggregatedState: rs.aggregatedState,
        regions: v.targetRegions.map((r, i) => ({
          region: r.region,
          state: r.state,
          progress: (rs.summary as { progress: number }[])[i]?.progress ?? 0,
          completesAt: new Date(r.completesAt).toISOString(),
          excludeFromLatest: r.excludeFromLatest ?? null,
          excluded: excludedIn(v, r),
        })),
      };
    }),
  }));
  const scaleSets = [...f.scaleSets.values()].map((s) => {
    const ru = s.rolling;
    const byVersion: Record<string, number> = {};
    let unhealthy = 0;
    for (const i of s.instances) {
      byVersion[i.version] = (byVersion[i.version] ?? 0) + 1;
      if (i.health === 'unhealthy') unhealthy++;
    }
    return {
      id: scaleSetId(f, s),
      name: s.name,
      resourceGroup: s.resourceGroup,
      location: s.location,
      orchestrationMode: s.orchestrationMode,
      imageId: s.imageId,
      pinnedVersion: s.pinnedVersion ?? null,
      modelVersion: s.modelVersion,
      healthSource: s.healthSource,
      autoUpgradeBlocker: autoUpgradeBlocker(s) ?? null,
      detectionAt: s.detection ? new Date(s.detection.at).toISOString() : null,
      versions: byVersion,
      unhealthyInstances: unhealthy,
      rollingUpgrade: ru
        ? {
            code: ru.code,
            startedBy: ru.startedBy,
            targetVersion: ru.targetVersion,
            fromVersion: ru.fromVersion,
            startTime: new Date(ru.startTime).toISOString(),
            endTime: ru.endTime === undefined ? null : new Date(ru.endTime).toISOString(),
            batches: ru.batches,
            progress: sim.engine.progress(s, ru),
            error: ru.error ?? null,
            rolledBack: ru.rollback.succeeded,
          }
        : null,
      historyLength: s.history.length,
      instances: opts.instances === false ? undefined : s.instances.map((i) => ({ instanceId: i.instanceId, version: i.version, health: i.health, state: i.state })),
    };
  });
  const templates = [...f.templates.values()].map((t) => ({
    name: t.name,
    resourceGroup: t.resourceGroup,
    runs: t.runs,
    lastRunStatus: t.lastRunStatus
      ? { ...t.lastRunStatus, startTime: new Date(t.lastRunStatus.startTime).toISOString(), endTime: t.lastRunStatus.endTime === undefined ? null : new Date(t.lastRunStatus.endTime).toISOString() }
      : null,
    runOutputs: t.runOutputs,
  }));
  return { now: sim.clock.now().toISOString(), subscriptionId: f.subscriptionId, regions: f.regions, gallery: f.gallery.name, images, scaleSets, templates };
}
