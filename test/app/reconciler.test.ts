/**
 * The reconciler: ARM is the truth, events are hints. Event Grid is at-least-once with expiring retries, so a
 * version whose creation event never arrived must still get its release — started by a timer that lists the
 * planned images' versions — and the reconciler must be idempotent with the event path.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { summarize } from '../../src/app/release-summary';
import { routeEvents, RecentIds, type RouterDeps } from '../../src/app/event-router';
import { planCatalog } from '../../src/app/plan-catalog';
import { reconcile } from '../../src/app/reconciler';
import type { OrchestratorInput } from '../../src/app/release-orchestrator';
import { releaseIdOf, type ReleaseInstance, type ReleaseRuntime } from '../../src/app/release-runtime';
import { newRelease, type ReleaseEvent } from '../../src/core';
import { IMAGE, loadPlan, versionId } from '../core/factories';

const plan = loadPlan('payments.yaml');

const NOW = new Date('2026-11-02T09:00:00Z');
/** Versions listed by the gallery; those in `old` were published 30 days ago (the fleet ran them before Ringmaster). */
function world(versions: string[], old: string[] = ['1.6.4']) {
  const instances = new Map<string, ReleaseInstance>();
  const started: string[] = [];
  const signals: { id: string; event: ReleaseEvent }[] = [];
  const runtime: ReleaseRuntime = {
    async start(id, raw) {
      const input = raw as OrchestratorInput;
      const existing = instances.get(id);
      if (existing && existing.status === 'Running') return false;
      started.push(id);
      // The summary a fresh orchestrator publishes: what the router reads to supersede.
      const summary = summarize(id, newRelease(input.plan, input.versionId, NOW));
      instances.set(id, { instanceId: id, status: 'Running', createdTime: '', lastUpdatedTime: '', summary });
      return true;
    },
    async signal(id, event) {
      signals.push({ id, event });
      return instances.get(id)?.status === 'Running';
    },
    async get(id) {
      return instances.get(id);
    },
    async list() {
      return [...instances.values()];
    },
  };
  const deps: RouterDeps = {
    runtime,
    plans: planCatalog([plan]),
    seen: new RecentIds(),
    versionExists: async (id) => versions.some((v) => versionId(v).toLowerCase() === id.toLowerCase()),
    timing: { idlePollMs: 600_000, retryMs: 60_000 },
    log: () => {},
  };
  const listVersions = async (image: string) => (image.toLowerCase() === IMAGE.toLowerCase() ? versions.map((v) => ({ id: versionId(v), name: v, publishedAt: new Date(NOW.getTime() - (old.includes(v) ? 30 * 86_400_000 : 600_000)).toISOString() })) : []);
  return { deps, runtime, instances, started, signals, listVersions, versions };
}

const published1 = (v: string) => ({ kind: 'arm-resource' as const, id: `evt-${v}`, type: 'Microsoft.Resources.ResourceWriteSuccess', operation: 'write' as const, resourceUri: versionId(v), operationName: 'Microsoft.Compute/galleries/images/versions/write', outcome: 'Success' as const, subject: versionId(v), eventTime: '2026-11-02T09:00:00Z' });

describe('reconciler', () => {
  it('a dropped creation event: the newest version of a planned image gets its release from the listing', async () => {
    const w = world(['1.6.4', '1.7.0']);
    const r = await reconcile({ router: w.deps, plans: [plan], listVersions: w.listVersions, now: NOW });
    expect(w.started).toEqual([releaseIdOf(versionId('1.7.0'))]);
    expect(r.started).toEqual([versionId('1.7.0')]);
  });

  it('is idempotent, and agrees with the event path in either order: one release, never started twice', async () => {
    for (const order of ['event-first', 'reconcile-first'] as const) {
      const w = world(['1.6.4', '1.7.0']);
      const event = () => routeEvents([published1('1.7.0') as never], w.deps);
      const sweep = () => reconcile({ router: w.deps, plans: [plan], listVersions: w.listVersions, now: NOW });
      if (order === 'event-first') {
        await event();
        await sweep();
      } else {
        await sweep();
        await event();
      }
      await sweep();
      expect(w.started, order).toEqual([releaseIdOf(versionId('1.7.0'))]);
    }
  });

  it('starts again a release that failed, and leaves older versions alone (the newest supersedes them)', async () => {
    const w = world(['1.6.4', '1.7.0', '1.7.1']);
    w.instances.set(releaseIdOf(versionId('1.7.1')), { instanceId: releaseIdOf(versionId('1.7.1')), status: 'Failed', createdTime: '', lastUpdatedTime: '' });
    await reconcile({ router: w.deps, plans: [plan], listVersions: w.listVersions, now: NOW });
    expect(w.started).toEqual([releaseIdOf(versionId('1.7.1'))]);
  });

  it('never adopts the version the fleet already ran before Ringmaster was deployed (published long ago)', async () => {
    const w = world(['1.6.3', '1.6.4']);
    await reconcile({ router: w.deps, plans: [plan], listVersions: w.listVersions, now: NOW });
    expect(w.started).toEqual([]);
  });

  it('a listing that fails for one image is reported and does not stop the others', async () => {
    const w = world(['1.7.0']);
    const r = await reconcile({ router: w.deps, plans: [plan, { ...plan, image: `${IMAGE}-other` }], listVersions: async (image) => {
      if (image.endsWith('-other')) throw new Error('429 throttled');
      return w.listVersions(image);
    }, now: NOW });
    expect(r.errors).toEqual([expect.stringMatching(/-other: 429 throttled/)]);
    expect(w.started).toEqual([releaseIdOf(versionId('1.7.0'))]);
  });
});

describe('reconciler and events, in any interleaving (property)', () => {
  const VERSIONS = ['1.7.0', '1.7.1', '1.7.2', '1.7.3'];
  /** What happens to one version's creation event: lost, delivered, or delivered twice (at-least-once). */
  const delivery = fc.constantFrom('dropped', 'once', 'twice');
  const scenario = fc.record({
    count: fc.integer({ min: 1, max: VERSIONS.length }),
    deliveries: fc.array(delivery, { minLength: VERSIONS.length, maxLength: VERSIONS.length }),
    /** Each delivery's delay in steps after its version is published (reordering when they overtake each other). */
    delays: fc.array(fc.nat(4), { minLength: VERSIONS.length * 2, maxLength: VERSIONS.length * 2 }),
    sweeps: fc.array(fc.nat(9), { maxLength: 4 }),
  });

  it('end as the events alone would: the newest version released once, every older release superseded, nothing started twice', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ count, deliveries, delays, sweeps }) => {
        const published = VERSIONS.slice(0, count);
        const w = world(['1.6.4']);
        // Step i publishes version i (it exists in ARM from then on); deliveries and sweeps happen at their steps.
        const actions: { step: number; order: number; run: () => Promise<unknown> }[] = [];
        published.forEach((v, i) => {
          actions.push({ step: i, order: 0, run: async () => void w.versions.push(v) });
          const times = deliveries[i] === 'dropped' ? 0 : deliveries[i] === 'once' ? 1 : 2;
          for (let k = 0; k < times; k++) actions.push({ step: i + delays[i * 2 + k]!, order: 1, run: () => routeEvents([{ ...published1(v), id: `evt-${v}-${k}` } as never], w.deps) });
        });
        for (const s of sweeps) actions.push({ step: s, order: 2, run: () => reconcile({ router: w.deps, plans: [plan], listVersions: w.listVersions, now: NOW }) });
        actions.push({ step: 99, order: 2, run: () => reconcile({ router: w.deps, plans: [plan], listVersions: w.listVersions, now: NOW }) });
        for (const a of actions.sort((x, y) => x.step - y.step || x.order - y.order)) await a.run();

        const newest = releaseIdOf(versionId(published.at(-1)!));
        expect(w.started).toContain(newest);
        expect(new Set(w.started).size).toBe(w.started.length);
        const superseded = new Set(w.signals.filter((s) => s.event.kind === 'superseded').map((s) => s.id));
        for (const id of w.started.filter((x) => x !== newest)) expect(superseded.has(id), `${id} was started and never superseded`).toBe(true);
        // Nothing supersedes the newest.
        expect(superseded.has(newest)).toBe(false);
      }),
      { numRuns: 300, seed: 13 },
    );
  });
});
