/**
 * Events are hints and can be lost. A rebake publishes 1.7.1 to every region, not excluded — what Azure alone
 * would roll everywhere — and its event never arrives. The reconciler's listing (the watcher's first run after
 * start-up, then every fifth) starts the release anyway; its first round excludes every region outside the
 * canary long before replication lands (20 simulated minutes) and the platform's pickup (30–60 minutes).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecentIds } from '../../src/app/event-router';
import { planCatalog } from '../../src/app/plan-catalog';
import { reconcile } from '../../src/app/reconciler';
import { handshake, startStack, type Stack } from './harness';

const REGIONS = ['eastus', 'westus3', 'northeurope', 'westeurope', 'southeastasia', 'australiaeast'];

describe('a rebake published everywhere whose event was dropped', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
    await handshake(stack);
  });
  afterAll(async () => stack?.close());

  it('is contained by the reconciler before replication lands: 0 instances outside the rings the release opened run it', async () => {
    stack.sim.sim.putVersion('payments-api', '1.7.1', { targetRegions: REGIONS.map((name) => ({ name })), excludeFromLatest: false });
    // No event is delivered. A few simulated minutes later the watcher's timer reconciles.
    stack.sim.clock.advance(2 * 60_000);
    const router = { runtime: stack.host.runtime, plans: planCatalog([stack.plan]), seen: new RecentIds(), versionExists: async () => true, timing: { idlePollMs: 600_000, retryMs: 60_000 }, log: () => {} };
    const r = await reconcile({ router, plans: [stack.plan], listVersions: (id) => stack.deps.ports.listVersions(id), now: stack.sim.clock.now() });
    expect(r.errors).toEqual([]);
    expect(r.started).toHaveLength(1);
    await stack.settle();
    const v = stack.sim.sim.image('payments-api')!.versions.get('1.7.1')!;
    const exposed = v.targetRegions.filter((t) => t.excludeFromLatest === false).map((t) => t.region);
    expect(exposed).toEqual(['eastus']);
    // Three simulated hours: replication lands, the platform picks latest up where it may.
    for (let i = 0; i < 36; i++) {
      stack.sim.clock.advance(5 * 60_000);
      await stack.settle();
    }
    // Whatever ran it, ran it in a ring the release opened (the canary first; drive mode may have reached the next).
    const release = (await stack.host.runtime.list()).find((x) => x.summary?.version === '1.7.1')!.summary!;
    const opened = new Set(release.rings.flatMap((g) => Object.keys(g.opened)));
    expect(opened.has('eastus')).toBe(true);
    const outside = [...stack.sim.sim.state.scaleSets.values()].filter((s) => !opened.has(s.location)).flatMap((s) => s.instances).filter((i) => i.version === '1.7.1');
    expect(outside).toHaveLength(0);
  });
});
