// Route table types and helpers shared by the ARM route modules: replies, long-running operation headers, paging.
import type { Operation } from './operations';
import type { RequestContext, Simulation } from './simulation';
import type { Throttler } from './throttle';

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type ApiFamily = 'gallery' | 'compute' | 'graph' | 'aib' | 'monitor' | 'resources' | 'operations';

export interface ArmCtx {
  sim: Simulation;
  baseUrl: string;
  throttler: Throttler;
  params: string[];
  query: URLSearchParams;
  body: unknown;
  method: string;
  path: string;
  apiVersion: string;
  request: RequestContext;
}

export interface Route {
  method: string;
  pattern: RegExp;
  op: string;
  api: ApiFamily;
  kind: 'read' | 'write';
  /** Rolling-upgrade status reads have their own per-scale-set budget. */
  rollingStatus?: boolean;
  handler: (ctx: ArmCtx) => Reply;
}

export const API_VERSIONS: Record<ApiFamily, string[]> = {
  gallery: ['2021-10-01', '2022-01-03', '2022-03-03', '2022-08-03', '2023-07-03', '2024-03-03', '2025-03-03'],
  compute: ['2023-03-01', '2023-07-01', '2023-09-01', '2024-03-01', '2024-07-01', '2024-11-01', '2025-04-01', '2025-11-01', '2026-03-01'],
  graph: ['2019-04-01', '2020-04-01-preview', '2020-09-01-preview', '2021-03-01', '2022-10-01', '2024-04-01'],
  aib: ['2022-02-14', '2022-07-01', '2023-07-01', '2024-02-01', '2025-10-01'],
  monitor: ['2018-01-01', '2019-07-01', '2021-05-01', '2023-10-01', '2024-02-01'],
  resources: ['2016-06-01', '2020-01-01', '2021-01-01', '2022-12-01'],
  operations: [],
};
API_VERSIONS.operations = [...new Set([...API_VERSIONS.gallery, ...API_VERSIONS.compute, ...API_VERSIONS.aib])];

const SEG = '([^/]+)';
/** Builds a case-insensitive anchored pattern from an ARM path template with {placeholders}. */
export function armPath(template: string): RegExp {
  const escaped = template
    .split(/\{[^}]+\}/)
    .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join(SEG);
  return new RegExp(`^${escaped}/?$`, 'i');
}

export function lroReply(ctx: ArmCtx, status: number, body: unknown, op: Operation): Reply {
  const store = ctx.sim.ops;
  return {
    status,
    body,
    headers: {
      'Azure-AsyncOperation': store.statusUrl(ctx.baseUrl, op, ctx.apiVersion),
      Location: store.resultUrl(ctx.baseUrl, op, ctx.apiVersion),
    },
  };
}

/** One page of a list, with nextLink carrying $skiptoken (an offset) and the rest of the query. */
export function page<T>(ctx: ArmCtx, items: T[], size: number): { value: T[]; nextLink?: string } {
  const raw = ctx.query.get('$skiptoken') ?? ctx.query.get('$skipToken') ?? '0';
  const offset = /^\d+$/.test(raw) ? Number(raw) : 0;
  const value = items.slice(offset, offset + size);
  if (offset + size >= items.length) return { value };
  const q = new URLSearchParams(ctx.query);
  q.delete('$skipToken');
  q.set('$skiptoken', String(offset + size));
  return { value, nextLink: `${ctx.baseUrl}${ctx.path}?${q.toString()}` };
}
