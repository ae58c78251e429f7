import { describe, expect, it } from 'vitest';
import { parseAlert } from '../../src/azure/alert-parsing';
import {
  type ArmResourceEvent,
  parseEvent,
  parseEvents,
  parseEventsJson,
  type RingmasterEvent,
  validationResponse,
} from '../../src/azure/event-parsing';
import { fixturesPresent, fixturesSkipReason, listFixtures, readFixture } from './azure-fixtures';

const SUB = '00000000-0000-0000-0000-000000000001';
const VERSION_ID = `/subscriptions/${SUB}/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/galProd/images/payments-api/versions/1.7.0`;
const VMSS_ID = `/subscriptions/${SUB}/resourceGroups/rg-eastus/providers/Microsoft.Compute/virtualMachineScaleSets/payments-eastus`;

type LooseEvent = Record<string, unknown> & { data: Record<string, unknown> };
type LooseAlert = { schemaId: string; data: { essentials: Record<string, unknown> } };

/** Fixture factories: hand-written events in both schemas. */
function newResourceWriteSuccess(resourceUri = VERSION_ID): LooseEvent {
  return {
    id: 'e1',
    topic: `/subscriptions/${SUB}`,
    subject: resourceUri,
    eventType: 'Microsoft.Resources.ResourceWriteSuccess',
    eventTime: '2026-11-02T10:00:00Z',
    data: {
      resourceUri,
      operationName: 'Microsoft.Compute/galleries/images/versions/write',
      status: 'Succeeded',
      subscriptionId: SUB,
      correlationId: 'c1',
    },
    dataVersion: '2',
    metadataVersion: '1',
  };
}

function newCloudEvent(type: string, data: unknown): Record<string, unknown> {
  return { specversion: '1.0', id: 'ce-1', source: '/ringmaster/watcher', type, time: '2026-11-02T10:05:00Z', data };
}

describe('Event Grid schema (hand-written)', () => {
  it('parses a version write as an ARM resource event', () => {
    const r = parseEvents([newResourceWriteSuccess()]);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const e = r.value[0] as ArmResourceEvent;
    expect(e).toMatchObject({
      kind: 'arm-resource',
      schema: 'EventGrid',
      type: 'Microsoft.Resources.ResourceWriteSuccess',
      operation: 'write',
      outcome: 'Success',
      resourceUri: VERSION_ID,
      source: `/subscriptions/${SUB}`,
      correlationId: 'c1',
    });
  });

  it('takes the outcome from the event type, not data.status', () => {
    const ev = { ...newResourceWriteSuccess(VMSS_ID), eventType: 'Microsoft.Resources.ResourceActionFailure' };
    const r = parseEvent(ev);
    expect(r.ok && r.value.kind === 'arm-resource' && r.value.outcome).toBe('Failure');
    expect(r.ok && r.value.kind === 'arm-resource' && r.value.operation).toBe('action');
  });

  it.each([
    { name: 'missing resourceUri', mutate: (e: LooseEvent) => delete e.data.resourceUri, error: 'events[0].data.resourceUri: required' },
    { name: 'missing operationName', mutate: (e: LooseEvent) => delete e.data.operationName, error: 'events[0].data.operationName: required' },
    { name: 'resourceUri not an ARM id', mutate: (e: LooseEvent) => (e.data.resourceUri = 'nope'), error: 'events[0].data.resourceUri: must be an ARM resource id' },
    { name: 'missing eventTime', mutate: (e: LooseEvent) => delete e.eventTime, error: 'events[0].eventTime: required' },
    { name: 'bad eventTime', mutate: (e: LooseEvent) => (e.eventTime = 'yesterday'), error: 'events[0].eventTime: must be an ISO 8601 time' },
    { name: 'missing id', mutate: (e: LooseEvent) => delete e.id, error: 'events[0].id: required' },
    { name: 'data not an object', mutate: (e: LooseEvent) => ((e as Record<string, unknown>).data = 'x'), error: 'events[0].data:' },
  ])('rejects $name naming the field', ({ mutate, error }) => {
    const ev = newResourceWriteSuccess();
    mutate(ev);
    const r = parseEvents([ev]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.join('\n')).toContain(error);
  });

  it('reports every bad event of a batch with its index', () => {
    const bad = newResourceWriteSuccess();
    delete (bad.data as Record<string, unknown>).resourceUri;
    const r = parseEvents([newResourceWriteSuccess(), bad, 42]);
    expect(r).toEqual({ ok: false, errors: ['events[1].data.resourceUri: required', 'events[2]: must be an object'] });
  });

  it('parses the subscription validation handshake', () => {
    const r = parseEvents([
      {
        id: 'v1',
        topic: `/subscriptions/${SUB}`,
        subject: '',
        eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
        eventTime: '2026-11-02T10:00:00Z',
        data: { validationCode: 'ABC-123', validationUrl: 'https://rp-eastus.eventgrid.azure.net/validate?x=1' },
        dataVersion: '2',
      },
    ]);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const v = r.value[0];
    expect(v?.kind).toBe('subscription-validation');
    if (v?.kind !== 'subscription-validation') return;
    expect(validationResponse(v)).toEqual({ validationResponse: 'ABC-123' });
  });

  it('returns unknown event types as unhandled, not as errors', () => {
    const r = parseEvent({ ...newResourceWriteSuccess(), eventType: 'Microsoft.Resources.ResourceDeleteSuccess' });
    expect(r.ok && r.value.kind).toBe('unhandled');
  });

  it('rejects bodies that are neither schema, and bad JSON', () => {
    expect(parseEvents({ hello: 1 })).toEqual({
      ok: false,
      errors: ['events: neither an Event Grid event (eventType) nor a CloudEvent (specversion)'],
    });
    const r = parseEventsJson('{nope');
    expect(r.ok).toBe(false);
  });
});

describe('Ringmaster CloudEvents (hand-written)', () => {
  const progress = { successful: 2, failed: 1, inProgress: 0, pending: 7 };
  it.each([
    { type: 'ringmaster.image.version.published', data: { versionId: VERSION_ID } },
    { type: 'ringmaster.image.replication.completed', data: { versionId: VERSION_ID, region: 'eastus', state: 'Completed' } },
    {
      type: 'ringmaster.upgrade.failed',
      data: { scaleSetId: VMSS_ID, versionId: VERSION_ID, code: 'Faulted', errorCode: 'MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade', progress },
    },
    { type: 'ringmaster.upgrade.completed', data: { scaleSetId: VMSS_ID, code: 'Completed', progress } },
    { type: 'ringmaster.rebake.succeeded', data: { imageTemplateId: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.VirtualMachineImages/imageTemplates/t`, runState: 'Succeeded', versionId: VERSION_ID } },
    { type: 'ringmaster.rebake.failed', data: { imageTemplateId: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.VirtualMachineImages/imageTemplates/t`, runState: 'Failed', message: 'customizer failed' } },
  ])('parses $type', ({ type, data }) => {
    const r = parseEvent(newCloudEvent(type, data));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const e = r.value as RingmasterEvent;
    expect(e.kind).toBe('ringmaster');
    expect(e.type).toBe(type);
    expect(e.schema).toBe('CloudEvents');
    expect(e.data).toMatchObject(data);
  });

  it.each([
    {
      name: 'replication state outside the enum',
      type: 'ringmaster.image.replication.completed',
      data: { versionId: VERSION_ID, region: 'eastus', state: 'Done' },
      error: 'event.data.state: Invalid option',
    },
    {
      name: 'versionId not a version id',
      type: 'ringmaster.image.version.published',
      data: { versionId: VMSS_ID },
      error: 'event.data.versionId: must be a gallery image version id',
    },
    {
      name: 'progress missing a count',
      type: 'ringmaster.upgrade.failed',
      data: { scaleSetId: VMSS_ID, code: 'Faulted', progress: { successful: 1, failed: 0, inProgress: 0 } },
      error: 'event.data.progress.pending: required',
    },
    { name: 'no data', type: 'ringmaster.upgrade.completed', data: undefined, error: 'event.data: required' },
  ])('rejects $name', ({ type, data, error }) => {
    const r = parseEvent(newCloudEvent(type, data));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.join('\n')).toContain(error);
  });

  it('rejects a CloudEvent with a wrong specversion or no source', () => {
    const r = parseEvent({ ...newCloudEvent('ringmaster.image.version.published', { versionId: VERSION_ID }), specversion: '0.3', source: undefined });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual(['event.specversion: must be "1.0"', 'event.source: required']);
  });

  it('decodes data_base64', () => {
    const ev = newCloudEvent('ringmaster.image.version.published', undefined);
    ev.data_base64 = Buffer.from(JSON.stringify({ versionId: VERSION_ID })).toString('base64');
    const r = parseEvent(ev);
    expect(r.ok && r.value.kind === 'ringmaster' && r.value.data).toEqual({ versionId: VERSION_ID });
  });

  it('accepts a CloudEvents batch (array)', () => {
    const r = parseEvents([
      newCloudEvent('ringmaster.image.version.published', { versionId: VERSION_ID }),
      newCloudEvent('ringmaster.image.replication.completed', { versionId: VERSION_ID, region: 'westus3', state: 'Failed' }),
    ]);
    expect(r.ok && r.value.map((e) => e.type)).toEqual([
      'ringmaster.image.version.published',
      'ringmaster.image.replication.completed',
    ]);
  });
});

describe('Azure Monitor common alert schema (hand-written)', () => {
  const base = {
    schemaId: 'azureMonitorCommonAlertSchema',
    data: {
      essentials: {
        alertId: `/subscriptions/${SUB}/providers/Microsoft.AlertsManagement/alerts/a1`,
        alertRule: 'payments-5xx',
        severity: 'Sev1',
        signalType: 'Metric',
        monitorCondition: 'Fired',
        alertTargetIDs: [VMSS_ID.toLowerCase()],
        firedDateTime: '2026-11-02T10:10:00Z',
      },
      alertContext: {
        condition: { allOf: [{ metricName: 'Http5xx', operator: 'GreaterThan', threshold: '5', metricValue: 12.5 }] },
      },
    },
  };

  it('extracts rule, condition, severity, targets and metric values', () => {
    const r = parseAlert(base);
    expect(r).toEqual({
      ok: true,
      value: {
        alertRule: 'payments-5xx',
        alertId: base.data.essentials.alertId,
        monitorCondition: 'Fired',
        severity: 'Sev1',
        signalType: 'Metric',
        targetResourceIds: [VMSS_ID.toLowerCase()],
        firedAt: '2026-11-02T10:10:00Z',
        metricConditions: [{ metricName: 'Http5xx', operator: 'GreaterThan', threshold: 5, metricValue: 12.5 }],
      },
    });
  });

  it.each([
    { name: 'missing alertRule', mutate: (a: LooseAlert) => delete a.data.essentials.alertRule, error: 'alert.data.essentials.alertRule: required' },
    { name: 'bad monitorCondition', mutate: (a: LooseAlert) => (a.data.essentials.monitorCondition = 'Open'), error: 'alert.data.essentials.monitorCondition: Invalid option' },
    { name: 'wrong schemaId', mutate: (a: LooseAlert) => (a.schemaId = 'Microsoft.Insights/activityLogs'), error: 'alert.schemaId: must be "azureMonitorCommonAlertSchema"' },
  ])('rejects $name', ({ mutate, error }) => {
    const a = structuredClone(base);
    mutate(a);
    const r = parseAlert(a);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.join('\n')).toContain(error);
  });
});

describe.skipIf(!fixturesPresent)(`Azure's own samples (${fixturesPresent ? 'present' : fixturesSkipReason})`, () => {
  const armSamples = [
    ...listFixtures('eventgrid-events/Microsoft.Resources/event-grid-schema'),
    ...listFixtures('eventgrid-events/Microsoft.Resources/cloud-events-schema'),
  ];
  it('finds the samples', () => {
    expect(armSamples.length).toBeGreaterThanOrEqual(18);
  });

  it.each(armSamples.filter((f) => /resource_(write|action)_(success|failure)/.test(f)))('parses %s', (file) => {
    const sample = readFixture(file);
    const r = parseEvents([sample]);
    expect(r.ok, r.ok ? '' : r.errors.join('\n')).toBe(true);
    if (!r.ok) return;
    const e = r.value[0] as ArmResourceEvent;
    expect(e.kind).toBe('arm-resource');
    expect(e.schema).toBe(file.includes('cloud-events') ? 'CloudEvents' : 'EventGrid');
    expect(e.outcome).toBe(file.includes('failure') ? 'Failure' : 'Success');
    expect(e.operation).toBe(file.includes('write') ? 'write' : 'action');
    expect(e.resourceUri).toMatch(/^\/subscriptions\//);
  });

  it.each(armSamples.filter((f) => /delete|cancel/.test(f)))('returns %s as unhandled', (file) => {
    const r = parseEvent(readFixture(file));
    expect(r.ok && r.value.kind).toBe('unhandled');
  });

  it.each([
    ...listFixtures('eventgrid-events/Microsoft.ResourceNotifications/event-grid-schema'),
    ...listFixtures('eventgrid-events/Microsoft.ResourceNotifications/cloud-events-schema'),
  ])('accepts %s as a well-formed but unhandled event', (file) => {
    const r = parseEvent(readFixture(file));
    expect(r.ok && r.value.kind).toBe('unhandled');
  });

  it('reads the events of the Event Grid publish example', () => {
    const example = readFixture('eventgrid-events/Microsoft.EventGrid/PublishEventsToEventGridTopic.json') as {
      parameters: { events: unknown[] };
    };
    const r = parseEvents(example.parameters.events);
    expect(r.ok && r.value.map((e) => e.kind)).toEqual(['unhandled']);
  });

  it('rejects a sample with its resourceUri removed, naming the field', () => {
    const sample = readFixture('eventgrid-events/Microsoft.Resources/event-grid-schema/resource_write_success.json') as {
      data: Record<string, unknown>;
    };
    delete sample.data.resourceUri;
    expect(parseEvents([sample])).toEqual({ ok: false, errors: ['events[0].data.resourceUri: required'] });
  });

  it('parses the metric alert sample (Resolved)', () => {
    const r = parseAlert(readFixture('azure-monitor/common-schema-sample-metric-alert.json'));
    expect(r.ok, r.ok ? '' : r.errors.join('\n')).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({
      alertRule: 'WCUS-R2-Gen2',
      monitorCondition: 'Resolved',
      severity: 'Sev3',
      signalType: 'Metric',
      firedAt: '2019-03-22T13:58:24.3713213Z',
      resolvedAt: '2019-03-22T14:03:16.2246313Z',
      metricConditions: [{ metricName: 'Percentage CPU', threshold: 25, metricValue: 7.727, operator: 'GreaterThan' }],
    });
    expect(r.value.targetResourceIds).toHaveLength(1);
  });

  it('parses the activity log alert sample (Fired)', () => {
    const r = parseAlert(readFixture('azure-monitor/common-schema-test-action-activity-log-alert.json'));
    expect(r.ok, r.ok ? '' : r.errors.join('\n')).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject({
      alertRule: 'test-activityLogAlertRule',
      monitorCondition: 'Fired',
      severity: 'Sev4',
      signalType: 'Activity Log',
      activity: { operationName: 'Microsoft.Compute/virtualMachines/restart/action', status: 'Succeeded' },
    });
  });

  it('rejects the alertContext-only resource health sample (no envelope), naming the fields', () => {
    const r = parseAlert(readFixture('azure-monitor/alertContext-only-resourcehealth.json'));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toContain('alert.schemaId: required');
  });
});
