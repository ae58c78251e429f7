// Virtual machine scale sets: GET, list (resource group, subscription), PATCH of the upgrade policy and image
// reference, rolling upgrades (latest, cancel, osRollingUpgrade), OS upgrade history and instances.
import { z } from 'zod';
import { ArmError, fromIssues } from './arm-errors';
import { armPath, lroReply, page, type ArmCtx, type Route } from './arm-router';
import { parseIsoDuration } from './durations';
import { rollingUpgradePolicySpec } from './fleet-spec';
import { scaleSetId as scaleSetIdOf, type ScaleSet } from './fleet-model';
import { flexibleVmJson, historyJson, instanceJson, rollingStatusJson, scaleSetJson } from './serialize';
import { DEFAULT_ROLLING_POLICY } from './upgrade-engine';

const RG = '/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachineScaleSets';
const SET = `${RG}/{name}`;

const isoDuration = z.string().refine((v) => {
  try {
    parseIsoDuration(v);
    return true;
  } catch {
    return false;
  }
}, 'must be an ISO 8601 duration such as PT0S or PT5M');

const patchBody = z
  .object({
    tags: z.record(z.string(), z.string()).optional(),
    properties: z
      .object({
        upgradePolicy: z
          .object({
            mode: z.enum(['Automatic', 'Manual', 'Rolling']).optional(),
            rollingUpgradePolicy: z
              .object({
                maxBatchInstancePercent: z.number().int().min(5).max(100).optional(),
                maxUnhealthyInstancePercent: z.number().int().min(5).max(100).optional(),
                maxUnhealthyUpgradedInstancePercent: z.number().int().min(0).max(100).optional(),
                pauseTimeBetweenBatches: isoDuration.optional(),
                enableCrossZoneUpgrade: z.boolean().optional(),
                prioritizeUnhealthyInstances: z.boolean().optional(),
                rollbackFailedInstancesOnPolicyBreach: z.boolean().optional(),
                maxSurge: z.boolean().optional(),
              })
              .passthrough()
              .optional(),
            automaticOSUpgradePolicy: z
              .object({
                enableAutomaticOSUpgrade: z.boolean().optional(),
                disableAutomaticRollback: z.boolean().optional(),
                useRollingUpgradePolicy: z.boolean().optional(),
                osRollingUpgradeDeferral: z.boolean().optional(),
              })
              .passthrough()
              .optional(),
          })
          .passthrough()
          .optional(),
        virtualMachineProfile: z
          .object({
            storageProfile: z.object({ imageReference: z.object({ id: z.string().optional() }).passthrough().optional() }).passthrough().optional(),
          })
          .passthrough()
          .optional(),
      })
      .passthrough()
      .optional(),
  })
  .passthrough();

function checkSub(ctx: ArmCtx): void {
  if (ctx.params[0]?.toLowerCase() !== ctx.sim.state.subscriptionId.toLowerCase()) {
    throw new ArmError(404, 'SubscriptionNotFound', `The subscription '${ctx.params[0] ?? ''}' could not be found.`);
  }
}
function setOf(ctx: ArmCtx): ScaleSet {
  checkSub(ctx);
  const s = ctx.sim.scaleSet(ctx.params[1] ?? '', ctx.params[2] ?? '');
  if (!s) {
    throw new ArmError(404, 'ResourceNotFound', `The Resource 'Microsoft.Compute/virtualMachineScaleSets/${ctx.params[2] ?? ''}' under resource group '${ctx.params[1] ?? ''}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`);
  }
  return s;
}

function applyPatch(ctx: ArmCtx, s: ScaleSet): void {
  const r = patchBody.safeParse(ctx.body);
  if (!r.success) throw fromIssues(r.error.issues);
  const p = r.data.properties;
  if (r.data.tags) s.tags = r.data.tags;
  const up = p?.upgradePolicy;
  if (up) {
    if (up.mode) s.upgradePolicy.mode = up.mode;
    if (up.rollingUpgradePolicy) {
      const merged = rollingUpgradePolicySpec.parse({ ...DEFAULT_ROLLING_POLICY, ...(s.upgradePolicy.rollingUpgradePolicy ?? {}), ...stripUnknown(up.rollingUpgradePolicy) });
      s.upgradePolicy.rollingUpgradePolicy = merged;
    }
    if (up.automaticOSUpgradePolicy) {
      const a = up.automaticOSUpgradePolicy;
      const cur = s.upgradePolicy.automaticOSUpgradePolicy ?? { enableAutomaticOSUpgrade: false, disableAutomaticRollback: false };
      s.upgradePolicy.automaticOSUpgradePolicy = {
        ...cur,
        ...(a.enableAutomaticOSUpgrade !== undefined ? { enableAutomaticOSUpgrade: a.enableAutomaticOSUpgrade } : {}),
        ...(a.disableAutomaticRollback !== undefined ? { disableAutomaticRollback: a.disableAutomaticRollback } : {}),
        ...(a.useRollingUpgradePolicy !== undefined ? { useRollingUpgradePolicy: a.useRollingUpgradePolicy } : {}),
        ...(a.osRollingUpgradeDeferral !== undefined ? { osRollingUpgradeDeferral: a.osRollingUpgradeDeferral } : {}),
      };
    }
  }
  const id = p?.virtualMachineProfile?.storageProfile?.imageReference?.id;
  if (id !== undefined) {
    const m = /^(.*\/galleries\/[^/]+\/images\/[^/]+)(?:\/versions\/([^/]+))?$/i.exec(id);
    if (!m || m[1]?.toLowerCase() !== s.imageKey) {
      throw new ArmError(400, 'InvalidParameter', `The image reference '${id}' must name the gallery image definition '${s.imageId}' or one of its versions.`, {
        target: 'properties.virtualMachineProfile.storageProfile.imageReference.id',
      });
    }
    const ver = m[2];
    if (ver && !ctx.sim.imageOf(s)?.versions.has(ver)) {
      throw new ArmError(404, 'GalleryImageVersionNotFound', `The gallery image version '${ver}' was not found.`, { target: 'properties.virtualMachineProfile.storageProfile.imageReference.id' });
    }
    ctx.sim.pin(s, ver);
  }
  ctx.sim.engine.considerDetection(s);
}

function stripUnknown(o: Record<string, unknown>): Record<string, unknown> {
  const keys = Object.keys(DEFAULT_ROLLING_POLICY).concat(['enableCrossZoneUpgrade', 'prioritizeUnhealthyInstances', 'maxSurge']);
  return Object.fromEntries(Object.entries(o).filter(([k, v]) => keys.includes(k) && v !== undefined));
}

export const vmssRoutes: Route[] = [
  {
    method: 'GET', pattern: armPath('/subscriptions/{s}/providers/Microsoft.Compute/virtualMachineScaleSets'), op: 'VirtualMachineScaleSets_ListAll', api: 'compute', kind: 'read',
    handler: (ctx) => {
      checkSub(ctx);
      const f = ctx.sim.state;
      return { status: 200, body: page(ctx, [...f.scaleSets.values()].map((s) => scaleSetJson(f, s)), 50) };
    },
  },
  {
    method: 'GET', pattern: armPath(RG), op: 'VirtualMachineScaleSets_List', api: 'compute', kind: 'read',
    handler: (ctx) => {
      checkSub(ctx);
      const f = ctx.sim.state;
      const rg = (ctx.params[1] ?? '').toLowerCase();
      const sets = [...f.scaleSets.values()].filter((s) => s.resourceGroup.toLowerCase() === rg);
      if (sets.length === 0 && rg !== f.gallery.resourceGroup.toLowerCase()) {
        throw new ArmError(404, 'ResourceGroupNotFound', `Resource group '${ctx.params[1] ?? ''}' could not be found.`);
      }
      return { status: 200, body: page(ctx, sets.map((s) => scaleSetJson(f, s)), 50) };
    },
  },
  {
    method: 'GET', pattern: armPath(SET), op: 'VirtualMachineScaleSets_Get', api: 'compute', kind: 'read',
    handler: (ctx) => ({ status: 200, body: scaleSetJson(ctx.sim.state, setOf(ctx)) }),
  },
  {
    method: 'PATCH', pattern: armPath(SET), op: 'VirtualMachineScaleSets_Update', api: 'compute', kind: 'write',
    handler: (ctx) => {
      const s = setOf(ctx);
      applyPatch(ctx, s);
      ctx.sim.emitResource('Microsoft.Resources.ResourceWriteSuccess', scaleSetJson(ctx.sim.state, s).id as string, 'Microsoft.Compute/virtualMachineScaleSets/write', ctx.request, 'PATCH');
      return { status: 200, body: scaleSetJson(ctx.sim.state, s) };
    },
  },
  {
    method: 'GET', pattern: armPath(`${SET}/rollingUpgrades/latest`), op: 'VirtualMachineScaleSetRollingUpgrades_GetLatest', api: 'compute', kind: 'read', rollingStatus: true,
    handler: (ctx) => {
      const s = setOf(ctx);
      if (!s.rolling) throw new ArmError(404, 'NotFound', `No rolling upgrade has been run on scale set '${s.name}'.`);
      return { status: 200, body: rollingStatusJson(ctx.sim.state, s, s.rolling, ctx.sim.engine) };
    },
  },
  {
    method: 'POST', pattern: armPath(`${SET}/rollingUpgrades/cancel`), op: 'VirtualMachineScaleSetRollingUpgrades_Cancel', api: 'compute', kind: 'write',
    handler: (ctx) => lroReply(ctx, 202, undefined, ctx.sim.cancelRollingUpgrade(setOf(ctx), ctx.request)),
  },
  {
    method: 'POST', pattern: armPath(`${SET}/osRollingUpgrade`), op: 'VirtualMachineScaleSetRollingUpgrades_StartOSUpgrade', api: 'compute', kind: 'write',
    handler: (ctx) => lroReply(ctx, 202, undefined, ctx.sim.startOSUpgrade(setOf(ctx), ctx.request)),
  },
  {
    method: 'GET', pattern: armPath(`${SET}/osUpgradeHistory`), op: 'VirtualMachineScaleSets_GetOSUpgradeHistory', api: 'compute', kind: 'read',
    handler: (ctx) => {
      const s = setOf(ctx);
      return { status: 200, body: page(ctx, s.history.map((ru) => historyJson(ctx.sim.state, s, ru, ctx.sim.engine)), 3) };
    },
  },
  {
    method: 'GET', pattern: armPath(`${SET}/virtualMachines`), op: 'VirtualMachineScaleSetVMs_List', api: 'compute', kind: 'read',
    handler: (ctx) => {
      const s = setOf(ctx);
      // Azure: a Flexible set's instances are VMs of their own, listed with the VM API (VirtualMachines_List).
      if (s.orchestrationMode === 'Flexible') throw new ArmError(400, 'BadRequest', `Operation 'VirtualMachineScaleSets.virtualMachines.GET' is not allowed on Virtual Machine Scale Set ${s.name}.`);
      const expand = instanceViewExpand(ctx);
      const items = s.instances.map((i) => instanceJson(ctx.sim.state, s, i, expand));
      return { status: 200, body: page(ctx, items, 50) };
    },
  },
  {
    // The VMs of a resource group; with `$filter=virtualMachineScaleSet/id eq '…'`, those of one Flexible set, and only
    // then with `$expand=instanceView` (Azure refuses the expand without the filter).
    method: 'GET', pattern: armPath('/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines'), op: 'VirtualMachines_List', api: 'compute', kind: 'read',
    handler: (ctx) => {
      checkSub(ctx);
      const filter = ctx.query.get('$filter');
      const expand = instanceViewExpand(ctx);
      let wanted: string | undefined;
      if (filter !== null) {
        const m = /^\s*'?virtualMachineScaleSet\/id'?\s+eq\s+'([^']+)'\s*$/i.exec(filter);
        if (!m) throw new ArmError(400, 'InvalidParameter', `The value '${filter}' of parameter '$filter' is not supported. Allowed: virtualMachineScaleSet/id eq '/subscriptions/{subId}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachineScaleSets/{name}'.`, { target: '$filter' });
        wanted = m[1]!.toLowerCase();
      } else if (expand) {
        throw new ArmError(400, 'InvalidParameter', "$expand=instanceView can only be specified with a valid $filter option (virtualMachineScaleSet/id eq '…').", { target: '$expand' });
      }
      const f = ctx.sim.state;
      const rg = (ctx.params[1] ?? '').toLowerCase();
      const sets = [...f.scaleSets.values()].filter((s) => s.orchestrationMode === 'Flexible' && s.resourceGroup.toLowerCase() === rg && (wanted === undefined || scaleSetIdOf(f, s).toLowerCase() === wanted));
      const items = sets.flatMap((s) => s.instances.map((i) => flexibleVmJson(f, s, i, expand)));
      return { status: 200, body: page(ctx, items, 50) };
    },
  },
];

/** `$expand=instanceView` (true), absent (false), or anything else refused as Azure does. */
function instanceViewExpand(ctx: ArmCtx): boolean {
  const expand = ctx.query.get('$expand');
  if (expand !== null && !/^instanceView$/i.test(expand)) {
    throw new ArmError(400, 'InvalidParameter', `The value '${expand}' of parameter '$expand' is not supported. Supported values: instanceView.`, { target: '$expand' });
  }
  return expand !== null;
}
