/**
 * The reconciler: ARM is the truth, events are hints. Event Grid is at-least-once with expiring retries, so a
 * version whose creation event never arrived must still get its release — started by a timer that lists the
 * planned images' versions — and the reconciler must be idempotent with the event path.
 */
import { describe, expect, it } from 'vitest';
import { routeEvents, RecentIds, type RouterDeps } from '../../src/app/event-router';
import { planCatalog } from '../../src/app/plan-catalog';
import { reconcile } from '../../src/app/reconciler';
import { releaseIdOf, type ReleaseInstance, type ReleaseRuntime } from '../../src/app/release-runtime';
import type { ReleaseEvent } from '../../src/core';
import { IMAGE, loadPlan, versionId } from '../core/factories';

const plan = loadPlan('payments.yaml');

const NOW = new Date('2026-11-02T09:00:00Z');
/** Versions listed by the gallery; those in `old` were published 30 days ago (the fleet ran them before Ringmaster). */
function world(versions: string[], old: string[] = ['1.6.4']) {
  const instances = new Map<string, ReleaseInstance>();
  const started: string[] = [];
  const signals: { id: string; event: ReleaseEvent }[] = [];
  const runtime: ReleaseRuntime = {
    async start(id) {
      const existing = instances.get(id);
      if (existing && existing.status === 'Running') return false;
      started.push(id);
      instances.set(id, { instanceId: id, status: 'Running', createdTime: '', lastUpdatedTime: '' });
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

const published = (v: string) => ({ kind: 'arm-resource' as const, id: `evt-${v}`, type: 'Microsoft.Resources.ResourceWriteSuccess', operation: 'write' as const, resourceUri: versionId(v), operationName: 'Microsoft.Compute/galleries/images/versions/write', outcome: 'Success' as const, subject: versionId(v), eventTime: '2026-11-02T09:00:00Z' });

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
      const event = () => routeEvents([published('1.7.0') as never], w.deps);
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
