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
import type { ReleasePorts } from './ports';
import type { ReleaseRuntime } from './release-runtime';

export interface WatchDeps {
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

export async function watchFleet(deps: WatchDeps): Promise<WatchResult> {
  const result: WatchResult = { releases: 0, reads: 0, changes: 0, errors: [] };
  for (const r of await deps.runtime.list()) {
    const s = r.summary;
    if (!s || s.terminal || r.status !== 'Running') continue;
    result.releases++;
    const ids = Object.keys(s.watch.scaleSets);
    let changed = false;
    try {
      if (ids.length > 0) {
        const upgrades = await deps.ports.readUpgrades(ids);
        result.reads += ids.length;
        for (const u of upgrades) {
          if (!u || upgradeFingerprint(u) === s.watch.scaleSets[u.scaleSetId]) continue;
          changed = true;
          result.changes++;
          if (!deps.publisher) continue;
          const failing = u.code === 'Faulted' || u.code === 'Cancelled' || u.progress.failed > 0;
          if (u.code !== 'Completed' && !failing) continue;
          await deps.publisher.publish(u.code === 'Completed' ? 'ringmaster.upgrade.completed' : 'ringmaster.upgrade.failed', {
            scaleSetId: u.scaleSetId,
            versionId: s.versionId,
            code: u.code,
            ...(u.errorCode ? { errorCode: u.errorCode } : {}),
            ...(u.errorMessage ? { errorMessage: u.errorMessage } : {}),
            progress: u.progress,
          });
        }
      }
      if (s.watch.replicating.length > 0) {
        const version = await deps.ports.readVersion(s.versionId);
        result.reads++;
        for (const rep of version?.replication ?? []) {
          if (!s.watch.replicating.includes(rep.region) || (rep.state !== 'Completed' && rep.state !== 'Failed')) continue;
          changed = true;
          result.changes++;
          await deps.publisher?.publish('ringmaster.image.replication.completed', { versionId: s.versionId, region: rep.region, state: rep.state });
        }
      }
    } catch (err) {
      result.errors.push(`${r.instanceId}: ${toErrorMessage(err)}`);
      deps.log(`watchFleet: ${r.instanceId}: ${toErrorMessage(err)}`);
    }
    if (changed && !deps.publisher) await deps.runtime.signal(r.instanceId, { kind: 'wake-up' });
  }
  return result;
}
