/**
 * A compact view of a release for the API, the dashboard and the watcher (the orchestrator publishes it
 * as its custom status, which Azure caps at 16 KB: no plan, no per-instance data).
 */
import { isTerminal, type Phase, type ReleaseState, type Transition } from '../core';
import { upgradeFingerprint } from './activities';

export interface ReleaseSummary {
  release: string;
  versionId: string;
  version: string;
  plan: string;
  phase: Phase;
  terminal: boolean;
  ring?: string;
  waitingFor?: string;
  demotion?: { at: string; cause: string; by: string };
  updatedAt: string;
  rings: { name: string; regions: string[]; opened: Record<string, string>; upgraded: Record<string, string>; upgradedAt?: string; soakUntil?: string; passedAt?: string; approvedBy?: string }[];
  /** What the watcher should poll: scale sets still upgrading in open regions, with their last fingerprint. */
  watch: { scaleSets: Record<string, string>; replicating: string[] };
  transitions: Transition[];
}

export function summarize(release: string, s: ReleaseState): ReleaseSummary {
  return {
    release,
    versionId: s.versionId,
    version: s.version,
    plan: s.plan.name ?? s.plan.image.split('/').at(-1) ?? '',
    phase: s.phase,
    terminal: isTerminal(s.phase),
    ring: s.rings[s.ring]?.name,
    waitingFor: s.waitingFor,
    demotion: s.demotion,
    updatedAt: s.updatedAt,
    rings: s.rings.map((r) => ({ name: r.name, regions: r.regions, opened: r.opened, upgraded: r.upgraded, upgradedAt: r.upgradedAt, soakUntil: r.soakUntil, passedAt: r.passedAt, approvedBy: r.approvedBy })),
    watch: isTerminal(s.phase) ? { scaleSets: {}, replicating: [] } : watchList(s),
    transitions: s.transitions.slice(-30),
  };
}

/** Scale sets in open regions still upgrading (not yet Completed), and open regions still replicating. */
export function watchList(s: ReleaseState): ReleaseSummary['watch'] {
  const scaleSets: Record<string, string> = {};
  const replicating: string[] = [];
  for (const ring of s.rings) {
    for (const region of Object.keys(ring.opened)) {
      if (ring.upgraded[region]) continue;
      if (s.replication[region] !== 'Completed') replicating.push(region);
      for (const id of s.fleetByRegion[region] ?? []) {
        const u = s.scaleSets[id]?.upgrade;
        // A set that completed this version's upgrade has nothing more to tell: stop reading it.
        if (u?.code === 'Completed') continue;
        scaleSets[id] = u ? upgradeFingerprint(u) : '';
      }
    }
  }
  return { scaleSets, replicating };
}
