/**
 * Event → release. Events are hints and ARM is the truth, so routing only has to find the release and
 * wake it: the orchestrator re-reads Azure before it acts, which makes late and reordered events harmless.
 *  - a new gallery image version (ARM write event, Ringmaster's published event, a rebake result) starts
 *    its release, if a plan covers its image definition, and supersedes older releases of that image;
 *  - replication and upgrade events wake the release of that version, or the releases watching that set;
 *  - duplicates (same event id, or same ARM correlation id and resource) are dropped;
 *  - events for images no plan covers are acknowledged and ignored with a log line.
 */
import type { ArmResourceEvent, ParsedEvent } from '../azure/event-parsing';
import { classifyResourceUri, scaleSetIdOf } from '../azure/resource-ids';
import { compareVersions, versionName, type ReleaseEvent } from '../core';
import type { PlanCatalog } from './plan-catalog';
import { releaseIdOf, type ReleaseRuntime } from './release-runtime';
import type { OrchestratorInput } from './release-orchestrator';


export interface RouterDeps {
  runtime: ReleaseRuntime;
  plans: PlanCatalog;
  seen: RecentIds;
  /** Re-reads ARM: events are hints, and a forged or stale one must not start or supersede anything. */
  versionExists: (versionId: string) => Promise<boolean>;
  timing: Pick<OrchestratorInput, 'idlePollMs' | 'retryMs'>;
  log: (message: string) => void;
}

export interface RouteOutcome {
  eventId: string;
  outcome: 'started' | 'signalled' | 'duplicate' | 'ignored';
  detail: string;
}

export async function routeEvents(events: ParsedEvent[], deps: RouterDeps): Promise<RouteOutcome[]> {
  const out: RouteOutcome[] = [];
  for (const e of events) {
    const key = dedupeKey(e);
    if (deps.seen.has(e.id) || (key && deps.seen.has(key))) {
      out.push({ eventId: e.id, outcome: 'duplicate', detail: `duplicate of an event already routed` });
      continue;
    }
    const outcome = await routeOne(e, deps);
    deps.seen.add(e.id);
    if (key) deps.seen.add(key);
    if (outcome.outcome === 'ignored') deps.log(`ignored event ${e.id} (${e.type}): ${outcome.detail}`);
    out.push(outcome);
  }
  return out;
}

async function routeOne(e: ParsedEvent, deps: RouterDeps): Promise<RouteOutcome> {
  const done = (outcome: RouteOutcome['outcome'], detail: string): RouteOutcome => ({ eventId: e.id, outcome, detail });
  switch (e.kind) {
    case 'arm-resource':
      return routeArm(e, deps).then(([o, d]) => done(o, d));
    case 'ringmaster': {
      switch (e.type) {
        case 'ringmaster.image.version.published':
          return startRelease(e.data.versionId, deps).then(([o, d]) => done(o, d));
        case 'ringmaster.rebake.succeeded':
          return e.data.versionId ? startRelease(e.data.versionId, deps).then(([o, d]) => done(o, d)) : done('ignored', 'rebake succeeded without a version id');
        case 'ringmaster.rebake.failed':
          return done('ignored', `rebake failed (${e.data.runState}): ${e.data.message ?? ''}`);
        case 'ringmaster.image.replication.completed':
          return wake(releaseIdOf(e.data.versionId), { kind: 'wake-up' }, deps).then(([o, d]) => done(o, d));
        case 'ringmaster.upgrade.started':
        case 'ringmaster.upgrade.completed':
        case 'ringmaster.upgrade.failed':
          if (e.data.versionId) return wake(releaseIdOf(e.data.versionId), { kind: 'wake-up', scaleSetIds: [e.data.scaleSetId] }, deps).then(([o, d]) => done(o, d));
          return wakeWatchers(e.data.scaleSetId, deps).then(([o, d]) => done(o, d));
      }
      return done('ignored', 'unknown Ringmaster event');
    }
    case 'subscription-validation':
      return done('ignored', 'validation events are answered by the webhook, not routed');
    case 'unhandled':
      return done('ignored', `event type ${e.type} is not one Ringmaster acts on`);
  }
}

async function routeArm(e: ArmResourceEvent, deps: RouterDeps): Promise<[RouteOutcome['outcome'], string]> {
  const ref = classifyResourceUri(e.resourceUri);
  if (ref.type === 'gallery-image-version') {
    if (e.outcome !== 'Success') return ['ignored', `${e.operationName} failed on ${e.resourceUri}`];
    return startRelease(e.resourceUri, deps);
  }
  if (ref.type === 'scale-set') return wakeWatchers(scaleSetIdOf(ref.id), deps);
  return ['ignored', `${e.resourceUri} is neither a gallery image version nor a scale set`];
}

/** Starts the release of a version (or wakes it when it runs); re-reads ARM first; supersedes older releases. */
export async function startRelease(versionId: string, deps: RouterDeps): Promise<[RouteOutcome['outcome'], string]> {
  const plan = deps.plans.forVersion(versionId);
  if (!plan) return ['ignored', `no plan covers ${versionId}`];
  const release = releaseIdOf(versionId);
  const existing = await deps.runtime.get(release);
  if (existing && existing.status !== 'Failed' && existing.status !== 'Terminated') return wake(release, { kind: 'wake-up' }, deps);
  if (!(await deps.versionExists(versionId))) return ['ignored', `${versionId} does not exist in ARM (a stale or forged event)`];
  const version = versionName(versionId);
  const active = (await deps.runtime.list({ active: true })).filter((o) => o.summary && !o.summary.terminal && o.status === 'Running' && o.instanceId !== release && deps.plans.forVersion(o.summary.versionId) === plan);
  // An event that arrives late (reordered, retried) for a version a newer one already supersedes starts nothing.
  const newer = active.find((o) => compareVersions(o.summary!.version, version) > 0);
  if (newer) return ['ignored', `${version} is superseded on arrival: ${newer.summary!.version} of the same image is being released`];
  const input: OrchestratorInput = { release, versionId, plan, ...deps.timing };
  await deps.runtime.start(release, input);
  // A newer version supersedes older releases of the same image that are still in flight.
  for (const other of active) {
    if (compareVersions(other.summary!.version, version) < 0) await deps.runtime.signal(other.instanceId, { kind: 'superseded', byVersionId: versionId });
  }
  return ['started', `release ${release} started under plan ${plan.name ?? plan.image}`];
}

async function wake(release: string, event: ReleaseEvent, deps: RouterDeps): Promise<[RouteOutcome['outcome'], string]> {
  return (await deps.runtime.signal(release, event)) ? ['signalled', `signalled ${release}`] : ['ignored', `no running release ${release}`];
}

async function wakeWatchers(scaleSetId: string, deps: RouterDeps): Promise<[RouteOutcome['outcome'], string]> {
  const lower = scaleSetId.toLowerCase();
  const watching = (await deps.runtime.list({ active: true })).filter(
    (r) => r.status === 'Running' && r.summary && ((r.summary.watch.more ?? 0) > 0 || Object.keys(r.summary.watch.scaleSets).some((id) => id.toLowerCase() === lower)),
  );
  for (const r of watching) await deps.runtime.signal(r.instanceId, { kind: 'wake-up', scaleSetIds: [scaleSetId] });
  return watching.length > 0 ? ['signalled', `signalled ${watching.map((r) => r.instanceId).join(', ')}`] : ['ignored', `no active release watches ${scaleSetId}`];
}

function dedupeKey(e: ParsedEvent): string | undefined {
  return e.kind === 'arm-resource' && e.correlationId ? `${e.correlationId}|${e.type}|${e.resourceUri.toLowerCase()}` : undefined;
}

/** A bounded set of recently routed ids (insertion-ordered; the oldest go first). */
export class RecentIds {
  private readonly ids = new Set<string>();
  constructor(private readonly capacity = 10_000) {}
  has(id: string): boolean {
    return this.ids.has(id);
  }
  add(id: string): void {
    this.ids.add(id);
    if (this.ids.size > this.capacity) this.ids.delete(this.ids.values().next().value as string);
  }
}

