// Compute Gallery: galleries, image definitions, image versions (GET with $expand=ReplicationStatus, list, PUT, PATCH).
import { z } from 'zod';
import { ArmError, fromIssues } from './arm-errors';
import { armPath, lroReply, page, type ArmCtx, type Route } from './arm-router';
import { galleryJson, imageJson, versionJson } from './serialize';
import type { VersionWrite } from './simulation';

const G = '/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.Compute/galleries/{g}';

const targetRegion = z
  .object({
    name: z.string().min(1),
    regionalReplicaCount: z.number().int().min(1).max(100).optional(),
    storageAccountType: z.enum(['Standard_LRS', 'Standard_ZRS', 'Premium_LRS', 'PremiumV2_LRS']).optional(),
    excludeFromLatest: z.boolean().optional(),
    encryption: z.record(z.string(), z.unknown()).optional(),
  })
  .passthrough();
const publishingProfile = z
  .object({
    targetRegions: z.array(targetRegion).optional(),
    replicaCount: z.number().int().min(1).max(100).optional(),
    excludeFromLatest: z.boolean().optional(),
    storageAccountType: z.enum(['Standard_LRS', 'Standard_ZRS', 'Premium_LRS', 'PremiumV2_LRS']).optional(),
    endOfLifeDate: z.string().optional(),
    replicationMode: z.enum(['Full', 'Shallow']).optional(),
  })
  .passthrough();
const versionProps = z
  .object({
    publishingProfile: publishingProfile.optional(),
    storageProfile: z.object({ source: z.object({ id: z.string().optional() }).passthrough().optional() }).passthrough().optional(),
    safetyProfile: z.record(z.string(), z.unknown()).optional(),
  })
  .passthrough();
const versionPut = z.object({ location: z.string().min(1), tags: z.record(z.string(), z.string()).optional(), properties: versionProps }).passthrough();
const versionPatch = z.object({ tags: z.record(z.string(), z.string()).optional(), properties: versionProps.optional() }).passthrough();

function checkGallery(ctx: ArmCtx): void {
  const [, rg, g] = ctx.params;
  const gal = ctx.sim.state.gallery;
  if (rg?.toLowerCase() !== gal.resourceGroup.toLowerCase() || g?.toLowerCase() !== gal.name.toLowerCase()) {
    throw new ArmError(404, 'ResourceNotFound', `The Resource 'Microsoft.Compute/galleries/${g ?? ''}' under resource group '${rg ?? ''}' was not found.`);
  }
}
function image(ctx: ArmCtx, nested: boolean) {
  checkGallery(ctx);
  const name = ctx.params[3] ?? '';
  const img = ctx.sim.image(name);
  if (!img) {
    if (nested) throw new ArmError(404, 'ParentResourceNotFound', `Can not perform requested operation on nested resource. Parent resource '${ctx.params[2] ?? ''}/${name}' not found.`);
    throw new ArmError(404, 'ResourceNotFound', `The Resource 'Microsoft.Compute/galleries/${ctx.params[2] ?? ''}/images/${name}' under resource group '${ctx.params[1] ?? ''}' was not found.`);
  }
  return img;
}
function toWrite(p: z.infer<typeof versionProps> | undefined, extra: Partial<VersionWrite>): VersionWrite {
  const pp = p?.publishingProfile;
  return {
    ...extra,
    targetRegions: pp?.targetRegions?.map((t) => ({
      name: t.name,
      regionalReplicaCount: t.regionalReplicaCount,
      excludeFromLatest: t.excludeFromLatest,
      storageAccountType: t.storageAccountType,
    })),
    excludeFromLatest: pp?.excludeFromLatest,
    replicaCount: pp?.replicaCount,
    storageAccountType: pp?.storageAccountType,
    sourceId: p?.storageProfile?.source?.id,
  };
}
function expandReplication(ctx: ArmCtx): boolean {
  const e = ctx.query.get('$expand');
  if (e === null) return false;
  if (!/^(ReplicationStatus|ValidationProfile|UefiSettings)(,\s*(ReplicationStatus|ValidationProfile|UefiSettings))*$/i.test(e)) {
    throw new ArmError(400, 'InvalidParameter', `The value '${e}' of parameter '$expand' is not supported. Supported values: ReplicationStatus.`, { target: '$expand' });
  }
  return /ReplicationStatus/i.test(e);
}

export const galleryRoutes: Route[] = [
  {
    method: 'GET', pattern: armPath(G), op: 'Galleries_Get', api: 'gallery', kind: 'read',
    handler: (ctx) => {
      checkGallery(ctx);
      return { status: 200, body: galleryJson(ctx.sim.state) };
    },
  },
  {
    method: 'GET', pattern: armPath(`${G}/images`), op: 'GalleryImages_ListByGallery', api: 'gallery', kind: 'read',
    handler: (ctx) => {
      checkGallery(ctx);
      const f = ctx.sim.state;
      return { status: 200, body: page(ctx, [...f.gallery.images.values()].map((i) => imageJson(f, i)), 50) };
    },
  },
  {
    method: 'GET', pattern: armPath(`${G}/images/{i}`), op: 'GalleryImages_Get', api: 'gallery', kind: 'read',
    handler: (ctx) => ({ status: 200, body: imageJson(ctx.sim.state, image(ctx, false)) }),
  },
  {
    method: 'GET', pattern: armPath(`${G}/images/{i}/versions`), op: 'GalleryImageVersions_ListByGalleryImage', api: 'gallery', kind: 'read',
    handler: (ctx) => {
      const img = image(ctx, true);
      const now = ctx.sim.clock.nowMs();
      const items = [...img.versions.values()].map((v) => versionJson(ctx.sim.state, img, v, now, false));
      return { status: 200, body: page(ctx, items, 10) };
    },
  },
  {
    method: 'GET', pattern: armPath(`${G}/images/{i}/versions/{v}`), op: 'GalleryImageVersions_Get', api: 'gallery', kind: 'read',
    handler: (ctx) => {
      const img = image(ctx, true);
      const expand = expandReplication(ctx);
      const v = img.versions.get(ctx.params[4] ?? '');
      if (!v) throw new ArmError(404, 'ResourceNotFound', `The Resource 'Microsoft.Compute/galleries/${ctx.params[2] ?? ''}/images/${img.name}/versions/${ctx.params[4] ?? ''}' under resource group '${ctx.params[1] ?? ''}' was not found.`);
      return { status: 200, body: versionJson(ctx.sim.state, img, v, ctx.sim.clock.nowMs(), expand) };
    },
  },
  {
    method: 'PUT', pattern: armPath(`${G}/images/{i}/versions/{v}`), op: 'GalleryImageVersions_CreateOrUpdate', api: 'gallery', kind: 'write',
    handler: (ctx) => {
      const img = image(ctx, true);
      const name = ctx.params[4] ?? '';
      if (!/^\d+\.\d+\.\d+$/.test(name)) {
        throw new ArmError(400, 'InvalidParameter', `The gallery image version name '${name}' is invalid. It must follow the format Major.Minor.Patch with 32-bit integers.`, { target: 'galleryImageVersionName' });
      }
      const r = versionPut.safeParse(ctx.body);
      if (!r.success) throw fromIssues(r.error.issues);
      const w = toWrite(r.data.properties, { location: r.data.location, tags: r.data.tags });
      const { version, created, op } = ctx.sim.putVersion(img.name, name, w, ctx.request);
      return lroReply(ctx, created ? 201 : 200, versionJson(ctx.sim.state, img, version, ctx.sim.clock.nowMs(), false), op);
    },
  },
  {
    method: 'PATCH', pattern: armPath(`${G}/images/{i}/versions/{v}`), op: 'GalleryImageVersions_Update', api: 'gallery', kind: 'write',
    handler: (ctx) => {
      const img = image(ctx, true);
      const r = versionPatch.safeParse(ctx.body);
      if (!r.success) throw fromIssues(r.error.issues);
      const { version, op } = ctx.sim.patchVersion(img.name, ctx.params[4] ?? '', toWrite(r.data.properties, { tags: r.data.tags }), ctx.request);
      return lroReply(ctx, 200, versionJson(ctx.sim.state, img, version, ctx.sim.clock.nowMs(), false), op);
    },
  },
];
