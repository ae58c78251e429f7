import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Fatal, Forbidden } from '../../src/azure/errors';
import { type ParsedEvent, parseEvents, validationResponse } from '../../src/azure/event-parsing';
import { scaleSetIdOf, startRig, TEMPLATE_ID, type TestRig, versionIdOf } from './sim-harness';

let rig: TestRig;
beforeAll(async () => {
  rig = await startRig();
});
afterAll(async () => {
  await rig?.close();
});

describe('image builder port against the simulator (real @azure/arm-imagebuilder)', () => {
  it('runs a template, returns once accepted, and reads the last run status until it succeeds', async () => {
    await rig.azure.imageBuilder.runTemplate(TEMPLATE_ID);
    const running = await rig.azure.imageBuilder.getLastRunStatus(TEMPLATE_ID);
    expect(running).toMatchObject({ templateId: TEMPLATE_ID, runState: 'Running' });
    rig.sim.clock.advance(50 * 60_000);
    expect((await rig.azure.imageBuilder.getLastRunStatus(TEMPLATE_ID)).runSubState).toBe('Distributing');
    for (let i = 0; i < 20; i++) rig.sim.clock.advance(10 * 60_000); // replication to every region, polled by the build
    const done = await rig.azure.imageBuilder.getLastRunStatus(TEMPLATE_ID);
    expect(done.runState).toBe('Succeeded');
    expect(done.endTime).toBeDefined();
    const v = await rig.azure.gallery.getVersion(versionIdOf('1.7.1'));
    expect(v.name).toBe('1.7.1');
  });

  it('names the run action on 403', async () => {
    rig.sim.faults.addArm({ operation: 'VirtualMachineImageTemplates_Run', kind: 'error', status: 403, code: 'AuthorizationFailed', count: 1 });
    const e = await rig.azure.imageBuilder.runTemplate(TEMPLATE_ID).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(Forbidden);
    expect((e as Forbidden).action).toBe('Microsoft.VirtualMachineImages/imageTemplates/run/action');
  });

  it('maps an unknown template to NotFound', async () => {
    await expect(rig.azure.imageBuilder.getLastRunStatus(TEMPLATE_ID.replace(/payments-api$/, 'nope'))).rejects.toMatchObject({ name: 'NotFound' });
  });
});

/** A loopback webhook that answers the Event Grid handshake with our own parser and records parsed events. */
async function startWebhook(): Promise<{ url: string; events: ParsedEvent[]; errors: string[]; close(): Promise<void> }> {
  const events: ParsedEvent[] = [];
  const errors: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'OPTIONS') {
        res.writeHead(200, { 'WebHook-Allowed-Origin': String(req.headers['webhook-request-origin'] ?? '*') });
        return res.end();
      }
      const r = parseEvents(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      if (!r.ok) {
        errors.push(...r.errors);
        res.writeHead(400);
        return res.end();
      }
      const handshake = r.value.find((e) => e.kind === 'subscription-validation');
      if (handshake?.kind === 'subscription-validation') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify(validationResponse(handshake)));
      }
      events.push(...r.value);
      res.writeHead(200);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/runtime/webhooks/eventgrid`, events, errors, close: () => new Promise((r) => server.close(() => r())) };
}

async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) {
    rig.sim.clock.advance(1_000);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('Event Grid: publish our CloudEvents and parse what the simulator delivers', () => {
  it('publishes a validated CloudEvent with the topic key; a CloudEvents subscriber parses it back', async () => {
    const hook = await startWebhook();
    try {
      await rig.sim.subscribe({ name: 'release-events', endpoint: hook.url, schema: 'CloudEventSchemaV1_0', topic: 'custom' });
      const data = { versionId: versionIdOf('1.7.0'), region: 'eastus', state: 'Completed' as const };
      await rig.azure.events?.publish('ringmaster.image.replication.completed', data, { id: 'evt-1', subject: versionIdOf('1.7.0') });
      expect(rig.sim.calls['EventGrid_Publish']).toBe(1);
      await until(() => hook.events.length > 0);
      expect(hook.errors).toEqual([]);
      expect(hook.events[0]).toMatchObject({ kind: 'ringmaster', schema: 'CloudEvents', type: 'ringmaster.image.replication.completed', id: 'evt-1', data });
    } finally {
      await hook.close();
    }
  });

  it('maps a rejected topic key to Forbidden naming the send data action', async () => {
    const { createEventPublisher } = await import('../../src/azure/event-publisher');
    const publisher = createEventPublisher({ topicEndpoint: rig.sim.topic.endpoint, topicKey: 'wrong', source: '/t', caPem: rig.sim.caPem }, { sleep: async () => undefined });
    const e = await publisher.publish('ringmaster.image.version.published', { versionId: versionIdOf('1.7.0') }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(Forbidden);
    expect((e as Forbidden).action).toBe('Microsoft.EventGrid/events/send/action');
  });

  it('answers the CloudEvents abuse-protection handshake', async () => {
    const { webhookAbuseProtectionHeaders } = await import('../../src/azure/event-parsing');
    expect(webhookAbuseProtectionHeaders('eventgrid.azure.net')).toEqual({ 'WebHook-Allowed-Origin': 'eventgrid.azure.net', 'WebHook-Allowed-Rate': '*' });
    expect(webhookAbuseProtectionHeaders(undefined)).toBeUndefined();
  });

  it('refuses to publish data its own parser would reject', async () => {
    const bad = { versionId: 'not-an-id', region: 'eastus', state: 'Completed' as const };
    await expect(rig.azure.events?.publish('ringmaster.image.replication.completed', bad)).rejects.toBeInstanceOf(Fatal);
  });

  it('an Event Grid schema subscriber validates the handshake and parses ARM system events', async () => {
    const hook = await startWebhook();
    try {
      await rig.sim.subscribe({ name: 'resource-events', endpoint: hook.url, schema: 'EventGridSchema', topic: 'system' });
      await rig.azure.gallery.setRegionalExcludeFromLatest(versionIdOf('1.7.0'), [{ region: 'westus3', excludeFromLatest: false }]);
      await until(() => hook.events.some((e) => e.kind === 'arm-resource'));
      expect(hook.errors).toEqual([]);
      const write = hook.events.find((e) => e.kind === 'arm-resource');
      expect(write).toMatchObject({
        kind: 'arm-resource',
        schema: 'EventGrid',
        type: 'Microsoft.Resources.ResourceWriteSuccess',
        outcome: 'Success',
        operationName: 'Microsoft.Compute/galleries/images/versions/write',
      });
      expect(write?.kind === 'arm-resource' && write.resourceUri.toLowerCase()).toBe(versionIdOf('1.7.0').toLowerCase());
      void scaleSetIdOf;
    } finally {
      await hook.close();
    }
  });
});
