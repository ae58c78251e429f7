/**
 * Azure's region pairs from ARM's own location metadata (`subscriptions.listLocations`), read with the real
 * @azure/arm-resources-subscriptions client over HTTPS from the simulator; and the built-in table agrees with them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subscriptionClient } from '../../src/azure/client-options';
import { Forbidden } from '../../src/azure/errors';
import { createLocationsPort } from '../../src/azure/locations-port';
import { BUILT_IN_PAIRS } from '../../src/core';
import { startSimulator, type Simulator } from '../../src/sim';
import { credential, paymentsFleet, SUB } from '../sim/helpers';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ fleet: paymentsFleet, manualClock: true });
});
afterAll(async () => sim?.close());

const port = () => createLocationsPort(subscriptionClient({ credential, endpoint: sim.url, caPem: sim.caPem }), { policy: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1, retryOn: [] } });

describe('locations port', () => {
  it('reads every region\'s pair in one call, in the short form plans use', async () => {
    const before = sim.calls.Subscriptions_ListLocations ?? 0;
    const pairs = await port().readRegionPairs(SUB);
    expect(sim.calls.Subscriptions_ListLocations).toBe(before + 1);
    expect(pairs).toMatchObject({ northeurope: 'westeurope', westeurope: 'northeurope', westus3: 'eastus', eastus: 'westus' });
    expect(pairs.polandcentral).toBeUndefined(); // a region without a pair has none
  });

  it('the built-in table (the offline fallback) agrees with every pair ARM lists', async () => {
    const pairs = await port().readRegionPairs(SUB);
    for (const [region, paired] of Object.entries(pairs)) expect(BUILT_IN_PAIRS[region], region).toBe(paired);
  });

  it('a 403 is Forbidden naming subscriptions/locations/read', async () => {
    sim.faults.addArm({ operation: 'Subscriptions_ListLocations', kind: 'error', status: 403, code: 'AuthorizationFailed', count: 1 });
    const e = await port().readRegionPairs(SUB).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(Forbidden);
    expect((e as Forbidden).action).toBe('Microsoft.Resources/subscriptions/locations/read');
  });
});
