/**
 * Operator actions over HTTP against the local runtime (the app bundle, the real durable-functions library
 * under the local durable host, the simulator's ARM): every accepted action reaches the release and is
 * acted on once, however many arrive together and whatever the release is doing when they do.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseIdOf } from '../../src/app/release-runtime';
import type { ReleaseSummary } from '../../src/app/release-summary';
import { handshake, startStack, type Stack } from './harness';

const SUB = '00000000-0000-0000-0000-000000000001';
const V170 = `/subscriptions/${SUB}/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/galProd/images/payments-api/versions/1.7.0`;
const REGIONS = ['eastus', 'westus3', 'northeurope', 'westeurope', 'southeastasia', 'australiaeast'];
const release = releaseIdOf(V170);

describe('operator actions in bursts, over HTTP', () => {
  let stack: Stack;
  const act = (action: string, reason: string) =>
    fetch(`${stack.host.url}/api/releases/${release}/${action}`, { method: 'POST', headers: { 'x-functions-key': stack.functionKey, 'content-type': 'application/json' }, body: JSON.stringify({ actor: 'oncall@contoso.com', reason }) });
  const operatorRows = async (prefix: string) => (await stack.deps.ports.ledger.list(release)).filter((r) => (r.payload as { kind?: string; reason?: string } | null)?.kind === 'operator' && (r.payload as { reason: string }).reason.startsWith(prefix));
  const phase = async () => ((await stack.host.runtime.get(release))?.summary as ReleaseSummary | undefined)?.phase;

  beforeAll(async () => {
    stack = await startStack();
    stack.sim.sim.putVersion('payments-api', '1.7.0', { targetRegions: REGIONS.map((name) => ({ name, excludeFromLatest: true })) });
    stack.sim.clock.advance(25 * 60_000);
    await handshake(stack);
    const res = await fetch(stack.hook('onReleaseEvent'), {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify({ specversion: '1.0', id: 'pub-170', source: '/pipeline', type: 'ringmaster.image.version.published', time: stack.sim.clock.now().toISOString(), data: { versionId: V170 } }),
    });
    expect(res.status).toBe(200);
    await stack.settle();
  });
  afterAll(async () => stack?.close());

  it('40 promotes in bursts of 8: every one is accepted and reaches the ledger once', async () => {
    expect(await phase()).toBe('upgrading');
    for (let burst = 0; burst < 5; burst++) {
      const statuses = await Promise.all(Array.from({ length: 8 }, (_, i) => act('promote', `burst-${burst}-${i}`).then((r) => r.status)));
      expect(statuses).toEqual(Array(8).fill(202));
    }
    await stack.settle();
    const rows = await operatorRows('burst-');
    expect(rows.map((r) => (r.payload as { reason: string }).reason.split(';')[0]).sort()).toEqual(Array.from({ length: 40 }, (_, i) => `burst-${Math.floor(i / 8)}-${i % 8}`).sort());
  });

  it('approve and abort sent together: the abort is carried out, the approve refused with the phase', async () => {
    const [approve, abort] = await Promise.all([act('approve', 'together-approve'), act('abort', 'together-abort')]);
    // Nothing awaits an approval while the canary upgrades: the API says so (409 with the phase) and loses nothing else.
    expect(approve!.status).toBe(409);
    expect(((await approve!.json()) as { error: { phase: string } }).error.phase).toBe('upgrading');
    expect(abort!.status).toBe(202);
    await stack.settle();
    expect(await phase()).toBe('aborted');
    expect((await operatorRows('together-')).map((r) => (r.payload as { action: string }).action)).toEqual(['abort']);
  });

  it('records the key that was checked as the actor, not the body\'s word; the alert key reaches the alert webhook only', async () => {
    const rows = await operatorRows('burst-0-0');
    expect((rows[0]!.payload as { actor: string }).actor).toBe('function key default');
    expect((rows[0]!.payload as { reason: string }).reason).toMatch(/claimed to act as oncall@contoso\.com/);
    const withAlertKey = (path: string) => fetch(`${stack.host.url}/api/${path}`, { method: 'POST', headers: { 'x-functions-key': stack.alertKey, 'content-type': 'application/json' }, body: '{}' });
    for (const action of ['pause', 'approve', 'approve-budget', 'demote']) expect((await withAlertKey(`releases/${release}/${action}`)).status, action).toBe(401);
    const alert = await withAlertKey('alerts');
    expect(alert.status).toBe(400); // authenticated; the body is not the common alert schema
  });
});
