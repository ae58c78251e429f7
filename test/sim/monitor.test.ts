/**
 * Azure Monitor in the simulator, through the real clients: metric series read with `@azure/arm-monitor`
 * (Metrics - List), and an alert rule firing to an action group webhook in the common alert schema, which
 * Ringmaster's own alert parser reads.
 */
import { createServer, type Server } from 'node:http';
import { MonitorClient } from '@azure/arm-monitor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAlert } from '../../src/azure/alert-parsing';
import { startSimulator, type Simulator } from '../../src/sim';
import { credential, SUB } from './helpers';

const fleet = new URL('../../examples/fleets/payments.yaml', import.meta.url).pathname;
const SET = `/subscriptions/${SUB}/resourceGroups/rg-payments-eastus/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-payments-eastus-1`;
let sim: Simulator;
let received: unknown[] = [];
let hook: Server;

beforeAll(async () => {
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push(JSON.parse(body));
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
  sim = await startSimulator({
    fleet,
    manualClock: true,
    scenario: {
      metrics: [{ scaleSet: 'vmss-payments-eastus-1', name: 'Percentage CPU', points: [{ at: '0s', value: 20 }, { at: '30m', value: 95 }] }],
      timeline: [{ at: '40m', action: 'fireAlert', rule: 'payments-5xx', scaleSet: 'vmss-payments-eastus-1', severity: 'Sev1', resolveAfter: '10m' }],
    },
  });
  const addr = hook.address();
  sim.monitor.addActionGroup(`http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/api/alerts?code=secret`);
});
afterAll(async () => {
  await sim?.close();
  await new Promise((r) => hook?.close(r));
});

describe('Azure Monitor in the simulator', () => {
  it('serves a metric series to @azure/arm-monitor: each point holds until the next', async () => {
    const client = new MonitorClient(credential, SUB, { endpoint: sim.url, tlsOptions: { ca: sim.caPem } });
    sim.clock.advance(35 * 60_000);
    const start = Date.parse('2025-01-06T08:00:00Z');
    const r = await client.metrics.list(SET, { timespan: `${new Date(start + 25 * 60_000).toISOString()}/${new Date(start + 35 * 60_000).toISOString()}`, metricnames: 'Percentage CPU', aggregation: 'Average', interval: 'PT5M' });
    const data = r.value[0]!.timeseries![0]!.data!.map((d) => d.average);
    expect(data).toEqual([20, 95, 95]);
    await expect(client.metrics.list(SET, { timespan: `${new Date(start).toISOString()}/${new Date(start + 60_000).toISOString()}`, metricnames: 'Nope' })).rejects.toThrow(/Failed to find metric configuration.*Nope.*Valid metrics: Percentage CPU/);
  });

  it('fires an alert rule to the action group in the common alert schema, then resolves it', async () => {
    received = [];
    sim.clock.advance(10 * 60_000); // to 45 min: fired at 40
    await sim.monitor.idle();
    sim.clock.advance(10 * 60_000); // resolved at 50
    await sim.monitor.idle();
    expect(received).toHaveLength(2);
    const [fired, resolved] = received.map((b) => parseAlert(b));
    expect(fired).toMatchObject({ ok: true, value: { alertRule: 'payments-5xx', monitorCondition: 'Fired', severity: 'Sev1', targetResourceIds: [SET.toLowerCase()] } });
    expect(resolved).toMatchObject({ ok: true, value: { monitorCondition: 'Resolved' } });
    expect(sim.monitor.deliveries.every((d) => d.status === 200 && !d.url.includes('secret'))).toBe(true);
  });

  it('a metric of a scale set the fleet does not have is refused when the simulator starts, naming it', async () => {
    await expect(startSimulator({ fleet, manualClock: true, scenario: { metrics: [{ scaleSet: 'vmss-nowhere', name: 'Percentage CPU', points: [{ at: '0s', value: 1 }] }] } })).rejects.toThrow(/metrics: no scale set vmss-nowhere in the fleet/);
  });
});
