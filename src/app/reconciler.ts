/**
 * The reconciler: events are hints and can be lost (Event Grid is at-least-once, with retries that expire), so
 * on a timer it lists the versions of every planned image definition — ARM, the truth — and starts the release
 * of the newest version when nobody started it, or when its release failed. Starting goes through the same
 * path as an event (`startRelease`: ARM re-read, supersede), so the two agree in any order and a second pass
 * does nothing. A rebake that published everywhere, not excluded, is then contained by the release's first
 * round, which excludes every target region outside the open rings.
 *
 * Older versions are left alone: the newest supersedes them. A version with no release is adopted only when it
 * was published within `lookbackMs` (default 24 h): the version a fleet already runs everywhere when Ringmaster
 * is first deployed (published weeks ago) must not be "released" again — its first round would exclude it
 * from latest outside the canary.
 */
import { newestVersion, versionName, type ReleasePlan } from '../core';
import { startRelease, type RouterDeps } from './event-router';
import { releaseIdOf } from './release-runtime';

export interface ReconcileDeps {
  router: RouterDeps;
  plans: readonly ReleasePlan[];
  /** The versions of an image definition (one ARM list per definition), with `publishingProfile.publishedDate`. */
  listVersions(imageId: string): Promise<{ id: string; name: string; publishedAt?: string }[]>;
  now: Date;
  /** How recent a version without a release must be to be adopted (ms). */
  lookbackMs?: number;
}

export const RECONCILE_LOOKBACK_MS = 24 * 3_600_000;

export interface ReconcileResult {
  /** Version ids whose release this pass started. */
  started: string[];
  errors: string[];
}

export async function reconcile(deps: ReconcileDeps): Promise<ReconcileResult> {
  const result: ReconcileResult = { started: [], errors: [] };
  const images = new Map(deps.plans.map((p) => [p.image.toLowerCase(), p.image]));
  for (const image of images.values()) {
    try {
      const versions = await deps.listVersions(image);
      const newest = newestVersion(versions.map((v) => ({ ...v, name: v.name || versionName(v.id) })));
      if (!newest) continue;
      const existing = await deps.router.runtime.get(releaseIdOf(newest.id));
      if (existing && existing.status !== 'Failed' && existing.status !== 'Terminated') continue;
      const age = newest.publishedAt ? deps.now.getTime() - Date.parse(newest.publishedAt) : Infinity;
      if (!existing && !(age <= (deps.lookbackMs ?? RECONCILE_LOOKBACK_MS))) continue;
      const [outcome, detail] = await startRelease(newest.id, deps.router);
      if (outcome === 'started') {
        result.started.push(newest.id);
        deps.router.log(`reconcile: ${detail} (${existing ? `its release was ${existing.status}` : 'no event had started it'})`);
      }
    } catch (err) {
      result.errors.push(`${image}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return result;
}
