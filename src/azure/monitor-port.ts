/**
 * Azure Monitor metrics for health gates: one metric, one aggregation, over a time window.
 * See https://learn.microsoft.com/rest/api/monitor/metrics/list
 */
import type { MonitorClient } from '@azure/arm-monitor';
import { type CallOptions, callArm, type PortRuntime } from './port-runtime';
import type { MetricPoint, MetricSeries } from './types';

export interface MetricQuery {
  metricName: string;
  aggregation: MetricSeries['aggregation'];
  /** Window start and end, ISO 8601. */
  from: string;
  to: string;
  /** Grain, ISO 8601 duration, e.g. `PT1M`. */
  interval?: string;
  metricNamespace?: string;
  /** Dimension filter, e.g. `Region eq 'eastus'`. */
  filter?: string;
}

export interface MonitorPort {
  readMetric(resourceId: string, query: MetricQuery, options?: CallOptions): Promise<MetricSeries>;
}

const FIELD = { Average: 'average', Minimum: 'minimum', Maximum: 'maximum', Total: 'total', Count: 'count' } as const;

export function createMonitorPort(clientFor: (subscriptionId: string) => MonitorClient, runtime: PortRuntime = {}): MonitorPort {
  return {
    async readMetric(resourceId, query, options) {
      const subscriptionId = /^\/subscriptions\/([^/]+)/i.exec(resourceId)?.[1] ?? '';
      const response = await callArm(
        'monitor.readMetric',
        () =>
          clientFor(subscriptionId).metrics.list(resourceId, {
            timespan: `${query.from}/${query.to}`,
            metricnames: query.metricName,
            aggregation: query.aggregation,
            ...(query.interval ? { interval: query.interval } : {}),
            ...(query.metricNamespace ? { metricnamespace: query.metricNamespace } : {}),
            ...(query.filter ? { filter: query.filter } : {}),
            ...(options?.abortSignal ? { abortSignal: options.abortSignal } : {}),
          }),
        runtime,
        options,
      );
      const metric = response.value.find((m) => m.name.value?.toLowerCase() === query.metricName.toLowerCase()) ?? response.value[0];
      const field = FIELD[query.aggregation];
      const points: MetricPoint[] = (metric?.timeseries ?? []).flatMap((ts) =>
        (ts.data ?? []).map((d) => ({ timeStamp: new Date(d.timeStamp).toISOString(), value: d[field] })),
      );
      points.sort((a, b) => a.timeStamp.localeCompare(b.timeStamp));
      const series: MetricSeries = { resourceId, metricName: query.metricName, aggregation: query.aggregation, points };
      if (metric?.unit) series.unit = metric.unit;
      return series;
    },
  };
}
