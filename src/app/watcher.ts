/**
 * The fleet watcher (timer): Azure announces neither replication progress nor platform-started upgrade
 * faults, so for active releases only it reads what they wait on — the rolling upgrades of scale sets
 * in open regions still upgrading, and replication of open regions still replicating — and publishes
 * Ringmaster's own events on change (or signals the release directly when no topic is configured).
 * One read per watched scale set per run keeps it inside the ~12 reads a minute per set ARM allows.
 */
import type { EventPublisher } from '../azure/event-publisher';
import { toErrorMessage } from '../azure/errors';
import { upgradeFingerprint } from './activities';
import { upgradeReads } from './release-orchestrator';
import type { ReleasePorts } from './ports';
import type { ReleaseRuntime } from './release-runtime';

/** Rolling-upgrade reads per release per run at most: a large open ring is read in turns (see `upgradeReads`). */
const MAX_READS_PER_RELEASE = 50;

export interface WatchDeps {
  /** Which turn this run is (the rotation of large watch lists); any increasing counter. */
  turn?: number;
  runtime: ReleaseRuntime;
  ports: Pick<ReleasePorts, 'readUpgrades' | 'readVersion'>;
  publisher?: EventPublisher;
  log: (message: string) => void;
}

export interface WatchResult {
  releases: number;
  reads: number;
  changes: number;
  errors: string[];
}

const failing = (u: { code: string; progress: { failed: number } }) => u.code === 'Faulted' || u.code === 'Cancelled' || u.progress.failed > 0;

export async function watchFleet(deps: WatchDeps): Promise<WatchResult> {
  const result: WatchResult = { releases: 0, reads: 0, changes: 0, errors: [] };
  for (const r of await deps.runtime.list({ active: true })) {
    const s = r.summary;
    if (!s || s.terminal || r.status !== 'Running') continue;
    result.releases++;
    const ids = upgradeReads(Object.keys(s.watch.scaleSets), undefined, deps.turn ?? 0, MAX_READS_PER_RELEASE);
    let changed = false;
    try {
      if (ids.length > 0) {
        const upgrades = await deps.ports.readUpgrades(ids);
        result.reads += ids.length;
        // One event per release per run, the most telling change first (a failing set, else a completed
        // one): the release re-reads every watched set when it wakes, so more events would only add rounds.
        let worst: (typeof upgrades)[number];
        for (const u of upgrades) {
          if (!u || upgradeFingerprint(u) === s.watch.scaleSets[u.scaleSetId]) continue;
          changed = true;
          result.changes++;
          if (failing(u) && (!worst || !failing(worst))) worst = u;
          else if (!worst && u.code === 'Completed') worst = u;
        }
        if (worst && deps.publisher) {
          await deps.publisher.publish(worst.code === 'Completed' ? 'ringmaster.upgrade.completed' : 'ringmaster.upgrade.failed', {
            scaleSetId: worst.scaleSetId,
            versionId: s.versionId,
            code: worst.code,
            ...(worst.errorCode ? { errorCode: worst.errorCode } : {}),
            ...(worst.errorMessage ? { errorMessage: worst.errorMessage } : {}),
            progress: worst.progress,
          });
        }
      }
      if (s.watch.replicating.length > 0) {
        const version = await deps.ports.readVersion(s.versionId);
        result.reads++;
        const landed = (version?.replication ?? []).filter((rep) => s.watch.replicating.includes(rep.region) && (rep.state === 'Completed' || rep.state === 'Failed'));
        changed ||= landed.length > 0;
        result.changes += landed.length;
        const first = landed.find((rep) => rep.state === 'Failed') ?? landed[0];
        if (first) await deps.publisher?.publish('ringmaster.image.replication.completed', { versionId: s.versionId, region: first.region, state: first.state });
      }
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
