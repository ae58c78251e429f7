/**
 * Azure Monitor common alert schema (what an action group's webhook posts) → the facts a gate needs.
 * See https://learn.microsoft.com/azure/azure-monitor/alerts/alerts-common-schema
 */
import { z } from 'zod';
import { formatIssues, type ParseResult } from './event-parsing';

export type AlertSeverity = 'Sev0' | 'Sev1' | 'Sev2' | 'Sev3' | 'Sev4';

export interface MetricCondition {
  metricName: string;
  metricNamespace?: string;
  operator?: string;
  threshold?: number;
  timeAggregation?: string;
  metricValue?: number;
}

export interface AlertNotice {
  alertRule: string;
  alertId: string;
  monitorCondition: 'Fired' | 'Resolved';
  severity: AlertSeverity;
  /** `Metric`, `Log` or `Activity Log`. */
  signalType: string;
  monitoringService?: string;
  /** `essentials.alertTargetIDs`, as sent (Azure lower-cases some of them). */
  targetResourceIds: string[];
  firedAt: string;
  resolvedAt?: string;
  description?: string;
  /** Metric alerts: the criteria and observed values. */
  metricConditions?: MetricCondition[];
  /** Activity log alerts: the ARM operation, its status and correlation id. */
  activity?: { operationName?: string; status?: string; correlationId?: string; caller?: string };
}

const essentialsSchema = z.looseObject({
  alertId: z.string().min(1),
  alertRule: z.string().min(1),
  severity: z.enum(['Sev0', 'Sev1', 'Sev2', 'Sev3', 'Sev4']),
  signalType: z.string().min(1),
  monitorCondition: z.enum(['Fired', 'Resolved']),
  monitoringService: z.string().optional(),
  alertTargetIDs: z.array(z.string()),
  firedDateTime: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO 8601 time'),
  resolvedDateTime: z.string().optional(),
  description: z.string().optional().nullable(),
});

const numberish = z.union([z.number(), z.string()]).optional().nullable();

const alertSchema = z.looseObject({
  schemaId: z.literal('azureMonitorCommonAlertSchema', {
    error: (i) => (i.input === undefined ? 'required' : 'must be "azureMonitorCommonAlertSchema"'),
  }),
  data: z.looseObject({
    essentials: essentialsSchema,
    alertContext: z
      .looseObject({
        condition: z
          .looseObject({
            allOf: z
              .array(
                z.looseObject({
                  metricName: z.string(),
                  metricNamespace: z.string().optional(),
                  operator: z.string().optional(),
                  threshold: numberish,
                  timeAggregation: z.string().optional(),
                  metricValue: numberish,
                }),
              )
              .optional(),
          })
          .optional()
          .nullable(),
        operationName: z.string().optional(),
        status: z.string().optional(),
        correlationId: z.string().optional(),
        caller: z.string().optional(),
      })
      .optional()
      .nullable(),
  }),
});

function toNumber(v: number | string | null | undefined): number | undefined {
  if (v === null || v === undefined || v === '') return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** Parses a common-alert-schema body; errors name the field (`alert.data.essentials.alertRule: required`). */
export function parseAlert(body: unknown, path = 'alert'): ParseResult<AlertNotice> {
  const r = alertSchema.safeParse(body, {
    error: (i) => (i.input === undefined && i.code === 'invalid_type' ? 'required' : undefined),
  });
  if (!r.success) return { ok: false, errors: formatIssues(r.error.issues, path) };
  const e = r.data.data.essentials;
  const ctx = r.data.data.alertContext ?? undefined;
  const alert: AlertNotice = {
    alertRule: e.alertRule,
    alertId: e.alertId,
    monitorCondition: e.monitorCondition,
    severity: e.severity,
    signalType: e.signalType,
    targetResourceIds: e.alertTargetIDs,
    firedAt: e.firedDateTime,
  };
  if (e.monitoringService !== undefined) alert.monitoringService = e.monitoringService;
  if (e.resolvedDateTime) alert.resolvedAt = e.resolvedDateTime;
  if (e.description) alert.description = e.description;
  const allOf = ctx?.condition?.allOf;
  if (allOf && allOf.length > 0) {
    alert.metricConditions = allOf.map((c) => {
      const m: MetricCondition = { metricName: c.metricName };
      if (c.metricNamespace !== undefined) m.metricNamespace = c.metricNamespace;
      if (c.operator !== undefined) m.operator = c.operator;
      if (c.timeAggregation !== undefined) m.timeAggregation = c.timeAggregation;
      const threshold = toNumber(c.threshold);
      if (threshold !== undefined) m.threshold = threshold;
      const value = toNumber(c.metricValue);
      if (value !== undefined) m.metricValue = value;
      return m;
    });
  }
  if (ctx && (ctx.operationName !== undefined || ctx.status !== undefined)) {
    const activity: NonNullable<AlertNotice['activity']> = {};
    if (ctx.operationName !== undefined) activity.operationName = ctx.operationName;
    if (ctx.status !== undefined) activity.status = ctx.status;
    if (ctx.correlationId !== undefined) activity.correlationId = ctx.correlationId;
    if (ctx.caller !== undefined) activity.caller = ctx.caller;
    alert.activity = activity;
  }
  return { ok: true, value: alert };
}
