import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/sim/prng';
import { startSimulator, type Simulator } from '../../src/sim';
import { paymentsFleet, request, SUB } from './helpers';

let sim: Simulator;
let agent: https.Agent;
const V = `/subscriptions/${SUB}/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/galProd/images/payments-api/versions/1.6.4`;
const S = `/subscriptions/${SUB}/resourceGroups/rg-payments-eastus/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-payments-eastus-1`;

beforeAll(async () => {
  sim = await startSimulator({ fleet: paymentsFleet, manualClock: true });
  agent = new https.Agent({ keepAlive: true, maxSockets: 4, ca: sim.caPem });
});
afterAll(async () => {
  agent.destroy();
  await sim?.close();
});
const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => request(`${sim.url}${path}`, sim.caPem, method, body, headers, agent);
const code = (r: { json: unknown }): string | undefined => (r.json as { error?: { code?: string } } | undefined)?.error?.code;

describe('bad input gets Azure-shaped errors', () => {
  it('malformed JSON', async () => {
    const r = await call('PATCH', `${V}?api-version=2025-03-03`, '{"properties": {');
    expect(r.status).toBe(400);
    expect(code(r)).toBe('InvalidRequestContent');
  });
  it('unknown resource, unknown parent, unknown type', async () => {
    expect(code(await call('GET', `${V.replace('1.6.4', '9.9.9')}?api-version=2025-03-03`))).toBe('ResourceNotFound');
    expect(code(await call('GET', `${V.replace('payments-api', 'nope')}?api-version=2025-03-03`))).toBe('ParentResourceNotFound');
    expect(code(await call('GET', `/subscriptions/${SUB}/providers/Microsoft.Compute/widgets?api-version=2025-03-03`))).toBe('InvalidResourceType');
  });
  it('missing or wrong api-version', async () => {
    expect(code(await call('GET', V))).toBe('MissingApiVersionParameter');
    const r = await call('GET', `${V}?api-version=2019-01-01`);
    expect(r.status).toBe(400);
    expect(code(r)).toBe('InvalidApiVersionParameter');
    expect(code(await call('GET', `${S}?api-version=2025-03-03`))).toBe('InvalidApiVersionParameter');
  });
  it('PATCH with wrong types names the bad field', async () => {
    const r = await call('PATCH', `${V}?api-version=2025-03-03`, { properties: { publishingProfile: { targetRegions: [{ name: 'eastus', excludeFromLatest: 'yes' }] } } });
    expect(r.status).toBe(400);
    expect(code(r)).toBe('InvalidParameter');
    expect((r.json as { error: { target: string } }).error.target).toBe('properties.publishingProfile.targetRegions[0].excludeFromLatest');
    const s = await call('PATCH', `${S}?api-version=2026-03-01`, { properties: { upgradePolicy: { rollingUpgradePolicy: { maxBatchInstancePercent: 'twenty' } } } });
    expect((s.json as { error: { target: string } }).error.target).toBe('properties.upgradePolicy.rollingUpgradePolicy.maxBatchInstancePercent');
  });
  it('missing bearer token, unsupported KQL', async () => {
    const r = await call('GET', `${V}?api-version=2025-03-03`, undefined, { authorization: '' });
    expect(r.status).toBe(401);
    const q = await call('POST', '/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01', { query: 'resources | extend x = 1' });
    expect(q.status).toBe(400);
    expect((q.json as { error: { message: string } }).error.message).toMatch(/extend/);
  });
  it('throttles rolling upgrade status reads per scale set (burst 36) with Retry-After', async () => {
    const path = `${S.replace('eastus-1', 'eastus-2')}/rollingUpgrades/latest?api-version=2026-03-01`;
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 37; i++) {
      last = await call('GET', path);
      statuses.push(last.status);
    }
    expect(statuses.filter((s) => s !== 429)).toHaveLength(36); // 404 NotFound: no upgrade has run yet, but the read counts
    expect(last?.status).toBe(429);
    expect(Number(last?.headers['retry-after'])).toBeGreaterThan(0);
    sim.clock.advance(10_000);
    expect((await call('GET', path)).status).not.toBe(429);
    expect(Number((await call('GET', `${S}?api-version=2026-03-01`)).headers['x-ms-ratelimit-remaining-subscription-reads'])).toBeGreaterThan(0);
  });
  it('injected faults: 429 with Retry-After and 500, per operation', async () => {
    sim.faults.addArm({ operation: 'GalleryImageVersions_Get', kind: 'throttle', retryAfterSeconds: 7, count: 1 });
    sim.faults.addArm({ operation: 'GalleryImageVersions_Get', kind: 'error', status: 500, count: 1 });
    const a = await call('GET', `${V}?api-version=2025-03-03`);
    const b = await call('GET', `${V}?api-version=2025-03-03`);
    const c = await call('GET', `${V}?api-version=2025-03-03`);
    expect([a.status, a.headers['retry-after'], b.status, c.status]).toEqual([429, '7', 500, 200]);
    sim.faults.clear();
  });
});

describe('fuzz', () => {
  it('a few hundred seeded random requests never crash the server', async () => {
    const rand = mulberry32(1234);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    const paths = [V, S, `${S}/rollingUpgrades/latest`, `${S}/rollingUpgrades/cancel`, `${S}/osRollingUpgrade`, `${S}/osUpgradeHistory`, `${S}/virtualMachines`,
      '/providers/Microsoft.ResourceGraph/resources', `/subscriptions/${SUB}/providers/Microsoft.Compute/virtualMachineScaleSets`, '/api/events', '/_sim/clock/advance', '/_sim/faults', '/x/%zz', '/_sim/subscriptions'];
    const versions = ['2025-03-03', '2026-03-01', '2021-03-01', '', 'x', '2024-02-01'];
    const bodies = [undefined, '{', '[]', 'null', '{"properties":{"publishingProfile":{"targetRegions":"x"}}}', '{"query":"resources | where"}', '{"query":"resources | where a in~ (\'x\'"}',
      '{"properties":{"upgradePolicy":{"mode":"Sideways"}}}', '{"ms":-5}', '{"arm":{"kind":"nope"}}', '"\\u0000"', '{"location":"eastus","properties":{}}', '{"query":"resources | project a = , b"}'];
    const methods = ['GET', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS'];
    let serverErrors = 0;
    for (let i = 0; i < 300; i++) {
      const p = pick(paths) + (rand() < 0.3 ? '/' + Math.floor(rand() * 1000).toString(36) : '');
      const v = pick(versions);
      const r = await call(pick(methods), `${p}${v ? `?api-version=${v}` : ''}`, pick(bodies));
      expect(r.status).toBeGreaterThanOrEqual(200);
      if (r.status >= 500) serverErrors++;
      if (r.status >= 400 && r.text) expect(code(r), r.text).toBeTruthy();
    }
    expect(serverErrors).toBe(0);
    expect((await call('GET', `${V}?api-version=2025-03-03`)).status).toBe(200);
  });
});
