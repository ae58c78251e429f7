/**
 * In-memory ports for engine and orchestrator tests that need no HTTP: the same interfaces, a plain model, and a
 * log of every call. Behaviour follows the Azure rules the real ports rely on (regional flag wins over the version
 * flag; demotion sets both; writes are idempotent), not the simulator's timing.
 */
import type { InstanceObservation } from '../core';
import { NotFound } from './errors';
import type { EventPublisher } from './event-publisher';
import type { FleetPort, ScaleSetQuery } from './fleet-port';
import type { GalleryPort, RegionalExclusion, TargetRegionInput, WriteResult } from './gallery-port';
import type { ImageBuilderPort } from './image-builder-port';
import type { MonitorPort } from './monitor-port';
import { normalizeRegion } from './port-runtime';
import { sameResourceId } from './resource-ids';
import type { ImageBuilderRunStatus, OSUpgradeHistoryEntry, RollingUpgradeStatus, ScaleSetInfo, VersionSnapshot } from './types';

export interface MemoryCall {
  method: string;
  args: unknown[];
}

export class MemoryAzure {
  readonly calls: MemoryCall[] = [];
  readonly versions = new Map<string, VersionSnapshot>();
  readonly scaleSets: ScaleSetInfo[] = [];
  readonly rollingUpgrades = new Map<string, RollingUpgradeStatus>();
  readonly history = new Map<string, OSUpgradeHistoryEntry[]>();
  /** Instances per scale set id, as `fleet.listInstances` returns them. */
  readonly instances = new Map<string, InstanceObservation[]>();
  readonly templates = new Map<string, ImageBuilderRunStatus>();
  /** Metric values by `resourceId|metricName`, oldest first (`monitor.readMetric` returns them all). */
  readonly metrics = new Map<string, (number | undefined)[]>();
  readonly published: { type: string; data: unknown }[] = [];

  private log(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
  }

  private version(id: string): VersionSnapshot {
    for (const [k, v] of this.versions) if (sameResourceId(k, id)) return v;
    throw new NotFound(`version ${id} not found`, { statusCode: 404, code: 'ResourceNotFound' });
  }

  addVersion(v: VersionSnapshot): void {
    this.versions.set(v.id, structuredClone(v));
  }

  readonly gallery: GalleryPort = {
    getVersion: async (id) => {
      this.log('gallery.getVersion', id);
      return structuredClone(this.version(id));
    },
    listVersions: async (imageId) => {
      this.log('gallery.listVersions', imageId);
      return [...this.versions.values()].filter((v) => sameResourceId(v.imageId, imageId)).map((v) => structuredClone(v));
    },
    setRegionalExcludeFromLatest: async (id, changes: readonly RegionalExclusion[]): Promise<WriteResult> => {
      this.log('gallery.setRegionalExcludeFromLatest', id, changes);
      const v = this.version(id);
      let changed = false;
      for (const c of changes) {
        const t = v.targetRegions.find((x) => normalizeRegion(x.name) === normalizeRegion(c.region));
        if (!t) throw new NotFound(`${c.region} is not a target region of ${id}`);
        if (t.excludeFromLatest !== c.excludeFromLatest) {
          t.excludeFromLatest = c.excludeFromLatest;
          changed = true;
        }
      }
      return { changed, version: structuredClone(v) };
    },
    addTargetRegions: async (id, regions: readonly TargetRegionInput[]): Promise<WriteResult> => {
      this.log('gallery.addTargetRegions', id, regions);
      const v = this.version(id);
      let changed = false;
      for (const r of regions) {
        if (v.targetRegions.some((t) => normalizeRegion(t.name) === normalizeRegion(r.name))) continue;
        changed = true;
        v.targetRegions.push({
          name: r.name,
          excludeFromLatest: r.excludeFromLatest ?? true,
          ...(r.regionalReplicaCount !== undefined ? { regionalReplicaCount: r.regionalReplicaCount } : {}),
          ...(r.storageAccountType !== undefined ? { storageAccountType: r.storageAccountType } : {}),
        });
        v.replication.push({ region: r.name, state: 'Replicating', progress: 0 });
      }
      return { changed, version: structuredClone(v) };
    },
    demote: async (id): Promise<WriteResult> => {
      this.log('gallery.demote', id);
      const v = this.version(id);
      const changed = !v.excludeFromLatest || v.targetRegions.some((t) => !t.excludeFromLatest);
      v.excludeFromLatest = true;
      for (const t of v.targetRegions) t.excludeFromLatest = true;
      return { changed, version: structuredClone(v) };
    },
  };

  readonly fleet: FleetPort = {
    findScaleSets: async (q: ScaleSetQuery) => {
      this.log('fleet.findScaleSets', q);
      const regions = new Set(q.regions.map(normalizeRegion));
      return this.scaleSets
        .filter((s) => regions.size === 0 || regions.has(s.region))
        .filter((s) => s.imageReferenceId !== undefined && (sameResourceId(s.imageReferenceId, q.imageId) || s.imageReferenceId.toLowerCase().startsWith(`${q.imageId.toLowerCase()}/versions/`)))
        .map((s) => structuredClone(s));
    },
    getLatestRollingUpgrade: async (id) => {
      this.log('fleet.getLatestRollingUpgrade', id);
      const s = this.rollingUpgrades.get(id);
      return s ? structuredClone(s) : undefined;
    },
    listInstances: async (id) => {
      this.log('fleet.listInstances', id);
      return structuredClone(this.instances.get(id) ?? []);
    },
    listOSUpgradeHistory: async (id, options) => {
      this.log('fleet.listOSUpgradeHistory', id);
      return structuredClone((this.history.get(id) ?? []).slice(0, options?.firstPage ? 3 : undefined));
    },
    cancelRollingUpgrade: async (id) => {
      this.log('fleet.cancelRollingUpgrade', id);
      const s = this.rollingUpgrades.get(id);
      if (s?.code === 'RollingForward') s.code = 'Cancelled';
    },
    startOSUpgrade: async (id) => {
      this.log('fleet.startOSUpgrade', id);
      const set = this.scaleSets.find((s) => sameResourceId(s.id, id));
      this.rollingUpgrades.set(id, {
        scaleSetId: id,
        code: 'RollingForward',
        lastAction: 'Start',
        progress: { successful: 0, failed: 0, inProgress: 0, pending: set?.capacity ?? 0 },
      });
    },
  };

  readonly imageBuilder: ImageBuilderPort = {
    runTemplate: async (id) => {
      this.log('imageBuilder.runTemplate', id);
      this.templates.set(id, { templateId: id, runState: 'Running', runSubState: 'Queued' });
    },
    getLastRunStatus: async (id) => {
      this.log('imageBuilder.getLastRunStatus', id);
      return structuredClone(this.templates.get(id) ?? { templateId: id });
    },
  };

  readonly monitor: MonitorPort = {
    readMetric: async (resourceId, query) => {
      this.log('monitor.readMetric', resourceId, query);
      const values = this.metrics.get(`${resourceId}|${query.metricName}`.toLowerCase()) ?? [];
      return { resourceId, metricName: query.metricName, aggregation: query.aggregation, points: values.map((value, i) => ({ timeStamp: new Date(Date.parse(query.to) - (values.length - 1 - i) * 60_000).toISOString(), value })) };
    },
  };

  readonly events: EventPublisher = {
    publish: async (type, data) => {
      this.log('events.publish', type, data);
      this.published.push({ type, data: structuredClone(data) });
    },
  };
}
