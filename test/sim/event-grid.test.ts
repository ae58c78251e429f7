import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AzureKeyCredential, EventGridPublisherClient } from '@azure/eventgrid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type Simulator } from '../../src/sim';
import { paymentsFleet, request } from './helpers';

interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
}
let sim: Simulator;
let hook: http.Server;
let hookUrl = '';
const received: Received[] = [];
let failNext = 0;

beforeAll(async () => {
  sim = await startSimulator({ fleet: paymentsFleet, manualClock: true });
  hook = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const body = text ? (JSON.parse(text) as unknown) : undefined;
      if (req.method === 'OPTIONS') {
        res.writeHead(200, { 'WebHook-Allowed-Origin': String(req.headers['webhook-request-origin']) });
        return res.end();
      }
      if (req.headers['aeg-event-type'] === 'SubscriptionValidation') {
        const code = (body as { data: { validationCode: string } }[])[0]?.data.validationCode;
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ validationResponse: code }));
      }
      received.push({ path: req.url ?? '', headers: req.headers, body });
      if (req.url === '/reject') {
        res.writeHead(400);
        return res.end('no');
      }
      if (failNext > 0) {
        failNext--;
        res.writeHead(503);
        return res.end();
      }
      res.writeHead(200);
      res.end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await sim?.close();
  await new Promise((r) => hook.close(r));
});

describe('Event Grid delivery', () => {
  it('handshakes, then delivers ResourceWriteSuccess for a version write in the Event Grid schema', async () => {
    await sim.subscribe({ name: 'versions', endpoint: `${hookUrl}/eg`, includedEventTypes: ['Microsoft.Resources.ResourceWriteSuccess'], subjectBeginsWith: '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-images/' });
    const r = await request(`${sim.url}/_sim/scenario/actions`, sim.caPem, 'POST', { at: 0, action: 'publishVersion', image: 'payments-api', version: '1.7.0', targetRegions: ['eastus'] });
    expect(r.status).toBe(201);
    await sim.eventGrid.idle();
    const got = received.filter((x) => x.path === '/eg');
    expect(got).toHaveLength(1);
    expect(got[0]?.headers['aeg-event-type']).toBe('Notification');
    const [event] = got[0]?.body as { eventType: string; subject: string; data: { operationName: string; resourceUri: string } }[];
    expect(event?.eventType).toBe('Microsoft.Resources.ResourceWriteSuccess');
    expect(event?.data.operationName).toBe('Microsoft.Compute/galleries/images/versions/write');
    expect(event?.subject).toMatch(/versions\/1\.7\.0$/);
  });

  it('retries 5xx with back-off on the virtual clock, dead-letters 4xx', async () => {
    await sim.subscribe({ name: 'rejecting', endpoint: `${hookUrl}/reject`, topic: 'system' });
    failNext = 1;
    sim.sim.patchVersion('payments-api', '1.7.0', { excludeFromLatest: true });
    await sim.eventGrid.idle();
    expect(sim.eventGrid.deadLetters.map((d) => d.reason)).toEqual(['DeliveryFailedWithPermanentError']);
    expect(sim.eventGrid.log.some((l) => l.subscription === 'versions' && l.outcome === 'retrying')).toBe(true);
    sim.clock.advance(10_000);
    await sim.eventGrid.idle();
    const delivered = sim.eventGrid.log.filter((l) => l.subscription === 'versions' && l.outcome === 'delivered');
    expect(delivered.at(-1)?.attempt).toBe(2);
    sim.eventGrid.remove('rejecting');
  });

  it('delivers after behaviour.eventLatency (plus a seeded share of its jitter), on the virtual clock', async () => {
    const b = sim.sim.behaviour;
    b.eventLatencyMs = 5_000;
    b.eventLatencyJitterMs = 1_000;
    try {
      const before = received.filter((x) => x.path === '/eg').length;
      sim.sim.patchVersion('payments-api', '1.7.0', { excludeFromLatest: false });
      await sim.eventGrid.idle();
      expect(received.filter((x) => x.path === '/eg').length - before).toBe(0);
      sim.clock.advance(4_999);
      await sim.eventGrid.idle();
      expect(received.filter((x) => x.path === '/eg').length - before).toBe(0);
      sim.clock.advance(1_001);
      await sim.eventGrid.idle();
      expect(received.filter((x) => x.path === '/eg').length - before).toBe(1);
    } finally {
      b.eventLatencyMs = 0;
      b.eventLatencyJitterMs = 0;
    }
  });

  it('injected duplicate and dropped events', async () => {
    sim.faults.addEvent({ kind: 'duplicate', count: 1 });
    sim.faults.addEvent({ kind: 'drop', count: 1 });
    const before = received.filter((x) => x.path === '/eg').length;
    sim.sim.patchVersion('payments-api', '1.7.0', { excludeFromLatest: false });
    sim.sim.patchVersion('payments-api', '1.7.0', { excludeFromLatest: true });
    await sim.eventGrid.idle();
    expect(received.filter((x) => x.path === '/eg').length - before).toBe(2); // first twice, second dropped
    sim.faults.clear();
  });

  it('EventGridPublisherClient publishes CloudEvents and Event Grid events to the custom topic', async () => {
    await sim.subscribe({ name: 'release-events', endpoint: `${hookUrl}/ce`, topic: 'custom', schema: 'CloudEventSchemaV1_0', includedEventTypes: ['image.replication.completed'] });
    const ce = new EventGridPublisherClient(sim.topic.endpoint, 'CloudEvent', new AzureKeyCredential(sim.topic.key), { tlsOptions: { ca: sim.caPem } });
    await ce.send([{ type: 'image.replication.completed', source: '/ringmaster/watcher', subject: 'payments-api/1.7.0/eastus', data: { region: 'eastus' } }]);
    const eg = new EventGridPublisherClient(sim.topic.endpoint, 'EventGrid', new AzureKeyCredential(sim.topic.key), { tlsOptions: { ca: sim.caPem } });
    await eg.send([{ eventType: 'image.version.published', subject: 'payments-api/1.7.0', dataVersion: '1.0', data: { version: '1.7.0' } }]);
    await sim.eventGrid.idle();
    const got = received.filter((x) => x.path === '/ce');
    expect(got).toHaveLength(1);
    expect(String(got[0]?.headers['content-type'])).toMatch(/cloudevents\+json/);
    expect((got[0]?.body as { type: string; specversion: string }).type).toBe('image.replication.completed');
    const bad = new EventGridPublisherClient(sim.topic.endpoint, 'CloudEvent', new AzureKeyCredential('wrong'), { tlsOptions: { ca: sim.caPem }, retryOptions: { maxRetries: 0 } });
    await expect(bad.send([{ type: 'x', source: '/y', data: {} }])).rejects.toThrow();
  });
});
