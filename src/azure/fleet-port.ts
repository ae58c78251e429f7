/**
 * Scale sets: find a release's fleet in one Resource Graph query, and read/act on rolling upgrades.
 * Rolling-upgrade status reads are throttled to about 12 a minute per scale set by ARM, so callers poll only the
 * scale sets of open rings; `findScaleSets` replaces N GETs with ⌈N/1000⌉ paged queries.
 */
import type { ComputeManagementClient, UpgradeOperationHistoricalStatusInfo } from '@azure/arm-compute';
import type { ResourceGraphClient } from '@azure/arm-resourcegraph';
import { NotFound } from './errors';
import { orchestrationModeOf, scaleSetQuery, toScaleSetInfo } from './fleet-query';
import { type CallOptions, callArm, callLro, type LroCallOptions, type PortRuntime } from './port-runtime';
import { parseScaleSetId, scaleSetIdOf, type ScaleSetId } from './resource-ids';
import type { InstanceObservation } from '../core';
import type { OrchestrationMode, OSUpgradeHistoryEntry, RollingUpgradeStatus, ScaleSetInfo, UpgradeProgress } from './types';

/**
 * Application Health as the instance view reports it (`vmHealth.status.code`, e.g. `HealthState/healthy`).
 * Anything else — initializing, a code Ringmaster does not know, no extension — is `unknown`: it never counts.
 */
export function healthOf(code: string | undefined): InstanceObservation['health'] {
  const state = code?.split('/').at(-1)?.toLowerCase();
  return state === 'healthy' ? 'healthy' : state === 'unhealthy' ? 'unhealthy' : 'unknown';
}

export interface ScaleSetQuery {
  /** Gallery image definition id the scale sets reference (latest or pinned). */
  imageId: string;
  /** Regions of every ring of interest, in one query. Empty means all regions. */
  regions: readonly string[];
  /** Subscriptions to search; default: the port's configured list. */
  subscriptionIds?: readonly string[];
  /** A ring's Resource Graph `where` clause (plan `rings[].selector`), applied after the image and region filters. */
  selector?: string;
}

export interface FleetPort {
  findScaleSets(query: ScaleSetQuery, options?: CallOptions): Promise<ScaleSetInfo[]>;
  /** `undefined` when the scale set has never run a rolling upgrade. */
  getLatestRollingUpgrade(scaleSetId: string, options?: CallOptions): Promise<RollingUpgradeStatus | undefined>;
  /** The set's OS upgrades, newest first; with `firstPage`, only what ARM's first page holds (one call). */
  listOSUpgradeHistory(scaleSetId: string, options?: CallOptions & { firstPage?: boolean }): Promise<OSUpgradeHistoryEntry[]>;
  /**
   * Every instance of a scale set with its Application Health state and the gallery image version it runs, in
   * the engine's words (`InstanceObservation`). One paged list with `$expand=instanceView` (50 a page).
   */
  listInstances(scaleSetId: string, options?: CallOptions): Promise<InstanceObservation[]>;
  /** Cancels the running rolling upgrade; waits for the cancellation by default. */
  cancelRollingUpgrade(scaleSetId: string, options?: LroCallOptions): Promise<void>;
  /** Starts a user OS rolling upgrade to the latest image; returns once accepted unless `waitForCompletion`. */
  startOSUpgrade(scaleSetId: string, options?: LroCallOptions): Promise<void>;
}

export interface FleetPortOptions extends PortRuntime {
  subscriptionIds: readonly string[];
  /** Rows per Resource Graph page (max 1000). */
  pageSize?: number;
}

type AbortSignalLikeMs = NonNullable<NonNullable<Parameters<ResourceGraphClient['resources']>[1]>['abortSignal']>;

type SdkProgress = { successfulInstanceCount?: number; failedInstanceCount?: number; inProgressInstanceCount?: number; pendingInstanceCount?: number };

function progressOf(p: SdkProgress | undefined): UpgradeProgress {
  return {
    successful: p?.successfulInstanceCount ?? 0,
    failed: p?.failedInstanceCount ?? 0,
    inProgress: p?.inProgressInstanceCount ?? 0,
    pending: p?.pendingInstanceCount ?? 0,
  };
}

const iso = (d: Date | string | undefined): string | undefined =>
  d === undefined ? undefined : d instanceof Date ? d.toISOString() : String(d);

function requireScaleSetId(id: string): ScaleSetId {
  const parsed = parseScaleSetId(id);
  if (!parsed) throw new NotFound(`not a VM scale set id: ${id}`);
  return parsed;
}

const MODE_CACHE_LIMIT = 20_000;

function historyEntryOf(p: UpgradeOperationHistoricalStatusInfo['properties']): OSUpgradeHistoryEntry {
  const entry: OSUpgradeHistoryEntry = { code: p?.runningStatus?.code ?? 'Unknown', progress: progressOf(p?.progress) };
  const start = iso(p?.runningStatus?.startTime);
  if (start !== undefined) entry.startTime = start;
  const end = iso(p?.runningStatus?.endTime);
  if (end !== undefined) entry.endTime = end;
  if (p?.startedBy) entry.startedBy = p.startedBy;
  const target = p?.targetImageReference;
  if (target?.id || target?.exactVersion) entry.targetImage = { ...(target.id ? { id: target.id } : {}), ...(target.exactVersion ? { exactVersion: target.exactVersion } : {}) };
  if (p?.error?.code) entry.errorCode = p.error.code;
  if (p?.error?.message) entry.errorMessage = p.error.message;
  if (p?.rollbackInfo) {
    entry.rolledBack = { successful: p.rollbackInfo.successfullyRolledbackInstanceCount ?? 0, failed: p.rollbackInfo.failedRolledbackInstanceCount ?? 0 };
  }
  return entry;
}

/** 404 codes that mean "the scale set (or its parents) is gone", as opposed to "no rolling upgrade yet". */
const MISSING_RESOURCE_CODES = new Set(['ResourceNotFound', 'ResourceGroupNotFound', 'SubscriptionNotFound', 'ParentResourceNotFound']);

export function createFleetPort(
  graph: ResourceGraphClient,
  computeFor: (subscriptionId: string) => ComputeManagementClient,
  runtime: FleetPortOptions,
): FleetPort {
  const signalOf = (o?: CallOptions) => (o?.abortSignal ? { abortSignal: o.abortSignal } : {});
  // Orchestration mode per scale set (lower-case id), learned from fleet reads; a set not seen yet is read once.
  const modes = new Map<string, OrchestrationMode>();
  const remember = (setId: string, mode: OrchestrationMode) => {
    if (modes.size >= MODE_CACHE_LIMIT) modes.clear();
    modes.set(setId.toLowerCase(), mode);
  };
  const modeOf = async (id: ScaleSetId, options?: CallOptions): Promise<OrchestrationMode> => {
    const known = modes.get(scaleSetIdOf(id).toLowerCase());
    if (known) return known;
    const set = await callArm('fleet.getScaleSet', () => computeFor(id.subscriptionId).virtualMachineScaleSets.get(id.resourceGroup, id.name, signalOf(options)), runtime, options);
    const mode = orchestrationModeOf(set.orchestrationMode);
    remember(scaleSetIdOf(id), mode);
    return mode;
  };
  const instanceOf = (vm: { storageProfile?: { imageReference?: { exactVersion?: string } }; instanceView?: { vmHealth?: { status?: { code?: string } } } }, name: string): InstanceObservation => {
    const version = vm.storageProfile?.imageReference?.exactVersion;
    return { id: name, health: healthOf(vm.instanceView?.vmHealth?.status?.code), ...(version ? { version } : {}) };
  };
  return {
    async findScaleSets(query, options) {
      const query_ = scaleSetQuery(query.imageId, query.regions, query.selector);
      const subscriptions = [...(query.subscriptionIds ?? runtime.subscriptionIds)];
      const out: ScaleSetInfo[] = [];
      let skipToken: string | undefined;
      do {
        const page = await callArm(
          'fleet.findScaleSets',
          () =>
            graph.resources(
              {
                query: query_,
                subscriptions,
                options: { top: runtime.pageSize ?? 1000, resultFormat: 'objectArray', ...(skipToken ? { skipToken } : {}) },
              },
              // ms-rest-js types its own AbortSignalLike; the runtime object is the same.
              (options?.abortSignal ? { abortSignal: options.abortSignal as unknown as AbortSignalLikeMs } : {}),
            ),
          runtime,
          options,
        );
        const rows: unknown = page.data;
        if (Array.isArray(rows)) out.push(...rows.map(toScaleSetInfo));
        for (const s of out) remember(s.id, s.orchestrationMode);
        skipToken = page.skipToken;
      } while (skipToken);
      return out;
    },

    async getLatestRollingUpgrade(scaleSetId, options) {
      const id = requireScaleSetId(scaleSetId);
      try {
        const s = await callArm(
          'fleet.getLatestRollingUpgrade',
          () => computeFor(id.subscriptionId).virtualMachineScaleSetRollingUpgrades.getLatest(id.resourceGroup, id.name, signalOf(options)),
          runtime,
          options,
        );
        const status: RollingUpgradeStatus = {
          scaleSetId,
          code: s.runningStatus?.code ?? 'Unknown',
          progress: progressOf(s.progress),
        };
        const start = iso(s.runningStatus?.startTime);
        if (start !== undefined) status.startTime = start;
        if (s.runningStatus?.lastAction) status.lastAction = s.runningStatus.lastAction;
        if (s.error?.code) status.errorCode = s.error.code;
        if (s.error?.message) status.errorMessage = s.error.message;
        return status;
      } catch (e) {
        if (e instanceof NotFound && !MISSING_RESOURCE_CODES.has(e.code ?? '')) return undefined;
        throw e;
      }
    },

    async listOSUpgradeHistory(scaleSetId, options) {
      const id = requireScaleSetId(scaleSetId);
      return callArm(
        'fleet.listOSUpgradeHistory',
        async () => {
          const out: OSUpgradeHistoryEntry[] = [];
          const pages = computeFor(id.subscriptionId).virtualMachineScaleSets.listOSUpgradeHistory(id.resourceGroup, id.name, signalOf(options)).byPage();
          for await (const page of pages) {
            for (const h of page) out.push(historyEntryOf(h.properties));
            if (options?.firstPage) break;
          }
          return out;
        },
        runtime,
        options,
      );
    },

    async listInstances(scaleSetId, options) {
      const id = requireScaleSetId(scaleSetId);
      const compute = computeFor(id.subscriptionId);
      // Uniform: the scale set's VM list. Flexible: its instances are VMs of their own, listed with the VM API filtered
      // to the set (Azure allows the instance view only with that filter). One paged call either way.
      if ((await modeOf(id, options)) === 'Flexible') {
        return callArm(
          'fleet.listFlexibleInstances',
          async () => {
            const out: InstanceObservation[] = [];
            const filter = `virtualMachineScaleSet/id eq '${scaleSetIdOf(id)}'`;
            for await (const vm of compute.virtualMachines.list(id.resourceGroup, { ...signalOf(options), filter, expand: 'instanceView' })) out.push(instanceOf(vm, vm.name ?? String(out.length)));
            return out;
          },
          runtime,
          options,
        );
      }
      return callArm(
        'fleet.listInstances',
        async () => {
          const out: InstanceObservation[] = [];
          for await (const vm of compute.virtualMachineScaleSetVMs.list(id.resourceGroup, id.name, { ...signalOf(options), expand: 'instanceView' })) out.push(instanceOf(vm, vm.instanceId ?? vm.name ?? String(out.length)));
          return out;
        },
        runtime,
        options,
      );
    },

    async cancelRollingUpgrade(scaleSetId, options) {
      const id = requireScaleSetId(scaleSetId);
      await callLro('fleet.cancelRollingUpgrade', (o) => computeFor(id.subscriptionId).virtualMachineScaleSetRollingUpgrades.cancel(id.resourceGroup, id.name, o), runtime, options, true);
    },

    async startOSUpgrade(scaleSetId, options) {
      const id = requireScaleSetId(scaleSetId);
      await callLro('fleet.startOSUpgrade', (o) => computeFor(id.subscriptionId).virtualMachineScaleSetRollingUpgrades.startOSUpgrade(id.resourceGroup, id.name, o), runtime, options, false);
    },
  };
}
