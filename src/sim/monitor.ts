// Azure Monitor in the simulator: metric series readable through the Metrics API (`@azure/arm-monitor`'s
// metrics.list, api-version 2018-01-01), and alert rules that fire to action group webhooks in the common alert
// schema (https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-common-schema).
import { ArmError } from './arm-errors';
import type { Route } from './arm-router';
import { parseDuration, parseIsoDuration } from './durations';
import { send } from './event-grid';
import { SpecError, type MetricSeriesSpec, type TimelineAction } from './fleet-spec';
import { scaleSetId } from './fleet-model';
import type { Simulation } from './simulation';

export interface MetricSeries {
  resourceId: string;
  name: string;
  unit: string;
  points: { at: number; value: number }[];
}

export type FireAlert = Extract<TimelineAction, { action: 'fireAlert' }>;

export interface AlertDelivery {
  rule: string;
  condition: 'Fired' | 'Resolved';
  url: string;
  status: number | 'error';
  time: string;
}

/** Resolves the metric series of a fleet (a scale set named by name gets its resource id). */
export function resolveMetrics(sim: Simulation, specs: readonly MetricSeriesSpec[]): MetricSeries[] {
  return specs.map((m) => {
    const set = m.scaleSet === undefined ? undefined : sim.findScaleSet(m.scaleSet);
    if (m.scaleSet !== undefined && !set) throw new SpecError(`metrics: no scale set ${m.scaleSet} in the fleet`);
    const resourceId = set ? scaleSetId(sim.state, set) : m.resourceId!;
    const points = m.points.map((p) => ({ at: sim.startTime + parseDuration(p.at), value: p.value })).sort((a, b) => a.at - b.at);
    return { resourceId, name: m.name, unit: m.unit, points };
  });
}

export class Monitor {
  readonly webhooks: string[] = [];
  readonly deliveries: AlertDelivery[] = [];
  private readonly inflight = new Set<Promise<void>>();
  private nextId = 1;

  constructor(private readonly sim: Simulation) {
    sim.alertListeners.push((a) => this.fire(a));
  }

  /** An action group's webhook receiver (the URL carries its key, as Azure's does). */
  addActionGroup(url: string): void {
    this.webhooks.push(url);
  }

  delivering(): boolean {
    return this.inflight.size > 0;
  }

  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
  }

  private fire(a: FireAlert): void {
    const target = a.scaleSet !== undefined ? this.sim.findScaleSet(a.scaleSet) : undefined;
    if (a.scaleSet !== undefined && !target) throw new SpecError(`fireAlert: no scale set ${a.scaleSet} in the fleet`);
    const targetId = target ? scaleSetId(this.sim.state, target) : (a.resourceId ?? `/subscriptions/${this.sim.state.subscriptionId}`);
    const alertId = `/subscriptions/${this.sim.state.subscriptionId}/providers/Microsoft.AlertsManagement/alerts/${String(this.nextId++).padStart(8, '0')}-0000-0000-0000-000000000000`;
    const firedAt = this.sim.clock.now().toISOString();
    const post = (condition: 'Fired' | 'Resolved') => {
      const essentials = {
        alertId,
        alertRule: a.rule,
        severity: a.severity,
        signalType: a.signalType,
        monitorCondition: condition,
        monitoringService: a.signalType === 'Activity Log' ? 'Activity Log - Administrative' : 'Platform',
        alertTargetIDs: [targetId.toLowerCase()],
        configurationItems: [targetId.split('/').at(-1) ?? targetId],
        originAlertId: alertId.split('/').at(-1),
        firedDateTime: firedAt,
        ...(condition === 'Resolved' ? { resolvedDateTime: this.sim.clock.now().toISOString() } : {}),
        description: a.description ?? '',
        essentialsVersion: '1.0',
        alertContextVersion: '1.0',
      };
      const body = JSON.stringify({ schemaId: 'azureMonitorCommonAlertSchema', data: { essentials, alertContext: {} } });
      for (const url of this.webhooks) {
        const p = send(url, 'POST', { 'content-type': 'application/json' }, body).then((r) => {
          this.deliveries.push({ rule: a.rule, condition, url: url.replace(/code=[^&]+/, 'code=***'), status: r.status, time: this.sim.clock.now().toISOString() });
        });
        this.inflight.add(p);
        void p.finally(() => this.inflight.delete(p));
      }
    };
    post('Fired');
    if (a.resolveAfter !== undefined) this.sim.clock.after(parseDuration(a.resolveAfter), `resolve ${a.rule}`, () => post('Resolved'));
  }
}

/** Aggregations of the Metrics API; each is also the name of its field in a data point. */
const AGGREGATIONS = new Set(['average', 'minimum', 'maximum', 'total', 'count']);

/** GET {resourceUri}/providers/Microsoft.Insights/metrics: the series named in `metricnames` over `timespan`. */
export const monitorRoutes: Route[] = [
  {
    method: 'GET', pattern: /^\/subscriptions\/.+\/providers\/microsoft\.insights\/metrics\/?$/i, op: 'Metrics_List', api: 'monitor', kind: 'read',
    handler: (ctx) => {
      const resourceId = ctx.path.replace(/\/providers\/microsoft\.insights\/metrics\/?$/i, '');
      const [fromText, toText] = (ctx.query.get('timespan') ?? '').split('/');
      const from = Date.parse(fromText ?? '');
      const to = Date.parse(toText ?? '');
      if (Number.isNaN(from) || Number.isNaN(to) || to < from) throw new ArmError(400, 'BadRequest', `timespan '${ctx.query.get('timespan') ?? ''}' is not an ISO 8601 interval like 2025-01-06T08:00:00Z/2025-01-06T08:05:00Z.`);
      const intervalMs = parseIsoDuration(ctx.query.get('interval') ?? 'PT1M') || 60_000;
      const names = (ctx.query.get('metricnames') ?? '').split(',').map((n) => n.trim()).filter(Boolean);
      const aggregations = (ctx.query.get('aggregation') ?? 'Average').split(',').map((a) => a.trim().toLowerCase()).filter((a) => AGGREGATIONS.has(a));
      const mine = ctx.sim.metrics.filter((m) => m.resourceId.toLowerCase() === resourceId.toLowerCase());
      const now = ctx.sim.clock.nowMs();
      const value = names.map((name) => {
        const series = mine.find((m) => m.name.toLowerCase() === name.toLowerCase());
        if (!series) throw new ArmError(400, 'BadRequest', `Failed to find metric configuration for provider and resource '${resourceId}', metric '${name}'. Valid metrics: ${mine.map((m) => m.name).join(', ') || 'none'}.`);
        const data: Record<string, number | string>[] = [];
        const latestFirst = [...series.points].reverse();
        for (let t = from - (from % intervalMs); t <= Math.min(to, now); t += intervalMs) {
          const point = latestFirst.find((p) => p.at <= t);
          if (!point) continue;
          data.push({ timeStamp: new Date(t).toISOString(), ...Object.fromEntries(aggregations.map((a) => [a, point.value])) });
        }
        return { id: `${resourceId}/providers/Microsoft.Insights/metrics/${series.name}`, type: 'Microsoft.Insights/metrics', name: { value: series.name, localizedValue: series.name }, unit: series.unit, errorCode: 'Success', timeseries: [{ metadatavalues: [], data }] };
      });
      return { status: 200, body: { cost: 0, timespan: `${new Date(from).toISOString()}/${new Date(to).toISOString()}`, interval: ctx.query.get('interval') ?? 'PT1M', value, namespace: resourceId.split('/providers/')[1]?.split('/').slice(0, 2).join('/') ?? '', resourceregion: '' } };
    },
  },
];
