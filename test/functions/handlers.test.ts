/**
 * The registered handlers with real InvocationContext and HttpRequest objects: malformed input is refused
 * with a reason and touches no state; good input reaches the release runtime.
 */
import { HttpRequest, InvocationContext } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import type { ReleaseEvent } from '../../src/core';
import { RecentIds } from '../../src/app/event-router';
import type { ReleaseInstance, ReleaseRuntime } from '../../src/app/release-runtime';
import type { AppDeps } from '../../src/app/wiring';
import { installLocalHost } from '../../src/functions/deps';
import { installFunctionsCoreStandIn } from '../../src/local/functions-core-standin';
import { loadPlan, versionId } from '../core/factories';
import { fakeWorld } from '../app/fake-world';

const registrations = installFunctionsCoreStandIn();
const plan = loadPlan('payments.yaml');

/** A runtime that records what handlers ask of it. */
function recordingRuntime() {
  const started: string[] = [];
  const signals: { id: string; event: ReleaseEvent }[] = [];
  const instances: ReleaseInstance[] = [];
  const runtime: ReleaseRuntime = {
    async start(id) {
      started.push(id);
      instances.push({ instanceId: id, status: 'Running', createdTime: '2026-11-02T09:00:00Z', lastUpdatedTime: '2026-11-02T09:00:00Z' });
      return true;
    },
    async signal(id, event) {
      signals.push({ id, event });
      return instances.some((i) => i.instanceId === id);
    },
    async get(id) {
      return instances.find((i) => i.instanceId === id);
    },
    async list() {
      return instances;
    },
  };
  return { runtime, started, signals };
}

describe('handlers', async () => {
  await import('../../src/index');
  const handler = (name: string) => registrations.find((r) => r.name === name)!.handler;
  const context = (name: string) => new InvocationContext({ functionName: name, invocationId: 'test', logHandler: () => {} });
  const rec = recordingRuntime();
  const w = fakeWorld(plan);
  w.publish(versionId('1.7.0'));
  installLocalHost({ runtime: rec.runtime, deps: { ports: w.ports, seen: new RecentIds(), settings: { plans: [plan], idlePollMs: 600_000, retryMs: 60_000 } } as unknown as AppDeps });

  const writeEvent = (resourceUri: string, id = 'evt-1') => ({
    id,
    topic: '/subscriptions/00000000-0000-0000-0000-000000000001',
    subject: resourceUri,
    eventType: 'Microsoft.Resources.ResourceWriteSuccess',
    eventTime: '2026-11-02T09:00:00Z',
    dataVersion: '',
    metadataVersion: '1',
    data: { resourceUri, operationName: 'Microsoft.Compute/galleries/images/versions/write', status: 'Succeeded', subscriptionId: '00000000-0000-0000-0000-000000000001', tenantId: 't', correlationId: `corr-${id}`, resourceProvider: 'Microsoft.Compute', authorization: {}, claims: {}, httpRequest: {} },
  });

  it('a malformed Event Grid event is acknowledged and logged with the field named (a throw would make Event Grid retry it for 24 h), and starts nothing', async () => {
    const bad = writeEvent(versionId('1.7.0'));
    delete (bad.data as Partial<typeof bad.data>).resourceUri;
    const lines: string[] = [];
    const ctx = new InvocationContext({ functionName: 'onResourceEvent', invocationId: 'test', logHandler: (_level, ...args) => lines.push(args.join(' ')) });
    await expect(handler('onResourceEvent')(bad, ctx)).resolves.toBeUndefined();
    expect(lines.join('\n')).toMatch(/malformed event acknowledged, not routed: .*resourceUri/);
    expect(rec.started).toEqual([]);
  });

  it('a gallery version write starts its release once; the duplicate is dropped', async () => {
    const event = writeEvent(versionId('1.7.0'));
    await handler('onResourceEvent')(event, context('onResourceEvent'));
    await handler('onResourceEvent')(event, context('onResourceEvent'));
    expect(rec.started).toEqual(['payments-api-1.7.0-c506a505']);
  });

  it('a write for a version ARM does not have (stale or forged) starts nothing', async () => {
    await handler('onResourceEvent')(writeEvent(versionId('1.9.0'), 'evt-forged'), context('onResourceEvent'));
    expect(rec.started).toHaveLength(1);
    expect(rec.signals.filter((s) => s.event.kind === 'superseded')).toEqual([]);
  });

  it('a write for an image no plan covers is acknowledged and ignored', async () => {
    await handler('onResourceEvent')(writeEvent('/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/other/versions/1.0.0', 'evt-9'), context('onResourceEvent'));
    expect(rec.started).toHaveLength(1);
  });

  it('the alert webhook answers 400 with the reason for a body that is not the common alert schema', async () => {
    const notJson = new HttpRequest({ method: 'POST', url: 'http://localhost/api/alerts', body: { string: '{oops' } });
    const r1 = (await handler('onAlert')(notJson, context('onAlert'))) as { status: number; jsonBody: { error: { message: string } } };
    expect(r1.status).toBe(400);
    const wrong = new HttpRequest({ method: 'POST', url: 'http://localhost/api/alerts', body: { string: JSON.stringify({ schemaId: 'azureMonitorCommonAlertSchema', data: {} }) } });
    const r2 = (await handler('onAlert')(wrong, context('onAlert'))) as { status: number; jsonBody: { error: { message: string } } };
    expect(r2.status).toBe(400);
    expect(r2.jsonBody.error.message).toMatch(/essentials/);
    expect(rec.signals).toEqual([]);
  });

  it('an operator action names what is wrong: unknown action 400, unknown release 404, good one 202', async () => {
    const act = (id: string, action: string, body = '') => handler('actOnRelease')(new HttpRequest({ method: 'POST', url: `http://localhost/api/releases/${id}/${action}`, params: { id, action }, ...(body ? { body: { string: body } } : {}) }), context('actOnRelease')) as Promise<{ status: number }>;
    expect((await act('payments-api-1.7.0-c506a505', 'launch')).status).toBe(400);
    expect((await act('nope', 'pause')).status).toBe(404);
    expect((await act('payments-api-1.7.0-c506a505', 'pause', '{not json')).status).toBe(400);
    expect((await act('payments-api-1.7.0-c506a505', 'pause', JSON.stringify({ actor: 'alice@contoso.com', reason: 'checking' }))).status).toBe(202);
    // Called without the local host's key name: an unnamed function key acted; the body's actor is only claimed.
    expect(rec.signals.at(-1)).toEqual({ id: 'payments-api-1.7.0-c506a505', event: { kind: 'operator', action: 'pause', actor: 'function key (unnamed)', reason: 'checking; claimed to act as alice@contoso.com' } });
  });
});
