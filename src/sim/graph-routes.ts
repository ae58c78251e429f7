// Azure Resource Graph: POST /providers/Microsoft.ResourceGraph/resources with the KQL subset in kql.ts,
// paged with options.$top / $skip / $skipToken; objectArray or table result format.
import { z } from 'zod';
import { ArmError, fromIssues } from './arm-errors';
import { armPath, type ArmCtx, type Route } from './arm-router';
import { KqlError, parseKql, runKql } from './kql';
import { imageDefinitionId } from './fleet-model';
import { galleryJson, imageJson, scaleSetJson, versionJson } from './serialize';

const body = z
  .object({
    subscriptions: z.array(z.string()).optional(),
    managementGroups: z.array(z.string()).optional(),
    query: z.string().min(1),
    options: z
      .object({
        $top: z.number().int().min(1).max(1000).optional(),
        $skip: z.number().int().min(0).optional(),
        $skipToken: z.string().optional(),
        resultFormat: z.enum(['table', 'objectArray']).optional(),
        allowPartialScopes: z.boolean().optional(),
        authorizationScopeFilter: z.string().optional(),
      })
      .passthrough()
      .optional(),
    facets: z.array(z.unknown()).optional(),
  })
  .passthrough();

type Row = Record<string, unknown>;

function toRow(ctx: ArmCtx, r: Record<string, unknown>): Row {
  const id = String(r.id);
  const rg = /\/resourceGroups\/([^/]+)/i.exec(id)?.[1] ?? '';
  return {
    id,
    name: r.name,
    type: String(r.type).toLowerCase(),
    tenantId: ctx.sim.state.tenantId,
    kind: '',
    location: r.location,
    resourceGroup: rg.toLowerCase(),
    subscriptionId: ctx.sim.state.subscriptionId,
    managedBy: '',
    sku: r.sku ?? null,
    plan: null,
    properties: r.properties ?? {},
    tags: r.tags ?? {},
    identity: r.identity ?? null,
    zones: r.zones ?? null,
    extendedLocation: null,
  };
}

export function resourceRows(ctx: ArmCtx): Row[] {
  const f = ctx.sim.state;
  const now = ctx.sim.clock.nowMs();
  const rows: Row[] = [toRow(ctx, galleryJson(f))];
  for (const img of f.gallery.images.values()) {
    rows.push(toRow(ctx, imageJson(f, img)));
    for (const v of img.versions.values()) rows.push(toRow(ctx, versionJson(f, img, v, now, false)));
  }
  for (const s of f.scaleSets.values()) rows.push(toRow(ctx, scaleSetJson(f, s)));
  void imageDefinitionId;
  return rows;
}

function encodeToken(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset }), 'utf8').toString('base64');
}
function decodeToken(t: string): number {
  try {
    const v = JSON.parse(Buffer.from(t, 'base64').toString('utf8')) as { o?: unknown };
    if (typeof v.o === 'number' && v.o >= 0) return v.o;
  } catch {
    // fall through
  }
  throw new ArmError(400, 'BadRequest', 'The $skipToken is invalid.', { details: [{ code: 'InvalidSkipToken', message: `The $skipToken '${t}' was not issued by this service.` }] });
}

export const graphRoutes: Route[] = [
  {
    method: 'POST', pattern: armPath('/providers/Microsoft.ResourceGraph/resources'), op: 'Resources', api: 'graph', kind: 'read',
    handler: (ctx) => {
      const r = body.safeParse(ctx.body);
      if (!r.success) throw fromIssues(r.error.issues);
      let q;
      try {
        q = parseKql(r.data.query);
      } catch (e) {
        if (!(e instanceof KqlError)) throw e;
        throw new ArmError(400, 'BadRequest', `Query is invalid or uses KQL the simulator does not support: ${e.message}`, {
          details: [{ code: 'InvalidQuery', message: `Query is invalid. ${e.message}` }],
        });
      }
      const subs = r.data.subscriptions;
      const inScope = !subs || subs.some((s) => s.toLowerCase() === ctx.sim.state.subscriptionId.toLowerCase());
      const all = inScope ? runKql(q, resourceRows(ctx)) : [];
      const o = r.data.options ?? {};
      const top = o.$top ?? 100;
      const offset = o.$skipToken !== undefined ? decodeToken(o.$skipToken) : (o.$skip ?? 0);
      const data = all.slice(offset, offset + top);
      const more = offset + top < all.length;
      const out: Record<string, unknown> = { totalRecords: all.length, count: data.length, resultTruncated: 'false', facets: [] };
      if (more) out.$skipToken = encodeToken(offset + top);
      if (o.resultFormat === 'table') {
        const names = [...new Set(data.flatMap((d) => Object.keys(d)))];
        const type = (v: unknown): string => (typeof v === 'number' ? 'integer' : typeof v === 'boolean' ? 'boolean' : typeof v === 'string' ? 'string' : 'object');
        out.data = { columns: names.map((n) => ({ name: n, type: type(data[0]?.[n]) })), rows: data.map((d) => names.map((n) => d[n] ?? null)) };
      } else out.data = data;
      return { status: 200, body: out };
    },
  },
];
