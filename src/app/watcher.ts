/**
 * The fleet watcher (timer): Azure announces neither replication progress nor platform-started upgrade
 * faults, so for active releases only it reads what they wait on — the rolling upgrades of scale sets
 * in open regions still upgrading, and replication of open regions still replicating — and publishes
 * Ringmaster's own events on change (or signals the release directly when no topic is configured).
 * One read per watched scale set per run keeps it inside the ~12 reads a minute per set ARM allows.
 */
import type { EventPublisher } from '../azure/event-publisher';
import { toErrorMessage } from '../azure/errors';
import type { ReleaseEvent } from '../core';
import { upgradeReads } from './release-orchestrator';
import type { ReleasePorts } from './ports';
import type { ReleaseRuntime } from './release-runtime';

/** Rolling-upgrade reads per release per run at most: a large open ring is read in turns (see `upgradeReads`). */
const MAX_READS_PER_RELEASE = 50;

export interface WatchDeps {
  /** Which turn this run is (the rotation of large watch lists); any increasing counter. */
  turn?: number;
  runtime: ReleaseRuntime;
  ports: Pick<ReleasePorts, 'observe'>;
  publisher?: EventPublisher;
  log: (message: string) => void;
}

export interface WatchResult {
  releases: number;
  reads: number;
  changes: number;
  errors: string[];
}

type UpgradeObserved = Extract<ReleaseEvent, { kind: 'rolling-upgrade-observed' }>;

const failing = (u: UpgradeObserved) => u.code === 'Faulted' || u.code === 'Cancelled' || u.progress.failed > 0;

export async function watchFleet(deps: WatchDeps): Promise<WatchResult> {
  const result: WatchResult = { releases: 0, reads: 0, changes: 0, errors: [] };
  for (const r of await deps.runtime.list({ active: true })) {
    const s = r.summary;
    if (!s || s.terminal || r.status !== 'Running') continue;
    result.releases++;
    const ids = upgradeReads(Object.keys(s.watch.scaleSets), undefined, deps.turn ?? 0, MAX_READS_PER_RELEASE);
    let changed = false;
    try {
      // Only what changed since the release last published its watch list comes back. The watcher only announces a
      // change: which version an upgrade rolls out is the release's own read (no OS upgrade history here).
      const seen = await deps.ports.observe({ versionId: s.versionId, version: s.watch.replicating.length > 0, upgradesOf: ids, upgradeTargets: false, knownUpgrades: s.watch.scaleSets });
      if (seen.errors.length) throw new Error(seen.errors.join('; '));
      result.reads += ids.length + (s.watch.replicating.length > 0 ? 1 : 0);
      // One event per release per run, the most telling change first (a failing set, else a completed one, else
      // one that started rolling: an upgrade the platform started is then polled by the release while it is
      // judged): the release re-reads every watched set when it wakes, so more events would only add rounds.
      let worst: UpgradeObserved | undefined;
      // A start is news only when the platform made it: the release knows the upgrades it started itself.
      const started = (u: UpgradeObserved) => u.code === 'RollingForward' && s.watch.scaleSets[u.scaleSetId] === '';
      const rank = (u: UpgradeObserved) => (failing(u) ? 3 : u.code === 'Completed' ? 2 : started(u) ? 1 : 0);
      for (const u of seen.events) {
        if (u.kind !== 'rolling-upgrade-observed') continue;
        changed = true;
        result.changes++;
        if (rank(u) > (worst ? rank(worst) : 0)) worst = u;
      }
      if (worst && deps.publisher) {
        await deps.publisher.publish(failing(worst) ? 'ringmaster.upgrade.failed' : worst.code === 'Completed' ? 'ringmaster.upgrade.completed' : 'ringmaster.upgrade.started', {
          scaleSetId: worst.scaleSetId,
          versionId: s.versionId,
          code: worst.code,
          ...(worst.errorCode ? { errorCode: worst.errorCode } : {}),
          ...(worst.errorMessage ? { errorMessage: worst.errorMessage } : {}),
          progress: worst.progress,
        });
      }
      const landed = seen.events.filter((e) => e.kind === 'replication-observed' && s.watch.replicating.includes(e.region) && (e.state === 'Completed' || e.state === 'Failed'));
      changed ||= landed.length > 0;
      result.changes += landed.length;
      const first = landed.find((e) => e.kind === 'replication-observed' && e.state === 'Failed') ?? landed[0];
      if (first?.kind === 'replication-observed') await deps.publisher?.publish('ringmaster.image.replication.completed', { versionId: s.versionId, region: first.region, state: first.state });
    } catch (err) {
      result.errors.push(`${r.instanceId}: ${toErrorMessage(err)}`);
      deps.log(`watchFleet: ${r.instanceId}: ${toErrorMessage(err)}`);
    }
    // Sets beyond what the custom status holds are read by the release itself, in turns: wake it for them.
    const unseen = (s.watch.more ?? 0) > 0;
    if ((changed && !deps.publisher) || (unseen && !changed)) await deps.runtime.signal(r.instanceId, { kind: 'wake-up' });
  }
  return result;
}
