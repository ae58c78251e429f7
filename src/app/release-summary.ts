/**
 * A compact view of a release for the API, the dashboard and the watcher (the orchestrator publishes it
 * as its custom status, which Azure caps at 16 KB: no plan, no per-instance data, and a bounded watch list).
 */
import { barredApprovers, isTerminal, forEachUnfinishedSet, upgradeFingerprint, type Phase, type ReleaseState, type Transition } from '../core';

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
  rings: { name: string; regions: string[]; opened: Record<string, string>; upgraded: Record<string, string>; upgradedAt?: string; soakUntil?: string; passedAt?: string; approvedBy?: string; promotedBy?: string }[];
  /** What the watcher should poll: scale sets still upgrading in open regions, with their last fingerprint. */
  watch: { scaleSets: Record<string, string>; replicating: string[]; more?: number };
  transitions: Transition[];
  /** What a person should know about the fleet (a pinned set, an empty region), the latest few. */
  findings?: string[];
  /** Four eyes: who may not approve the ring awaiting approval (they promoted or approved the one before). */
  barredApprovers?: string[];
}

/**
 * Custom status budget: the Durable extension refuses more than 16 KB of UTF-16 JSON; keep a margin.
 * A large release fits by shedding, in order: older transitions, the watch list beyond what fits (the
 * orchestrator reads every set in turns anyway; `watch.more` says how many were left out), then the
 * seconds of ring timestamps.
 */
export const STATUS_BUDGET_BYTES = 15 * 1024;

export function summarize(release: string, s: ReleaseState): ReleaseSummary {
  const barred = s.phase === 'awaiting-approval' ? barredApprovers(s).map((b) => b.actor) : [];
  const full: ReleaseSummary = {
    release,
    versionId: s.versionId,
    version: s.version,
    plan: s.plan.name ?? s.plan.image.split('/').at(-1) ?? '',
    phase: s.phase,
    terminal: isTerminal(s.phase),
    ring: s.rings[s.ring]?.name,
    waitingFor: s.waitingFor?.slice(0, 500),
    demotion: s.demotion,
    updatedAt: s.updatedAt,
    rings: s.rings.map((r) => ({ name: r.name, regions: r.regions, opened: r.opened, upgraded: r.upgraded, upgradedAt: r.upgradedAt, soakUntil: r.soakUntil, passedAt: r.passedAt, approvedBy: r.approvedBy, ...(r.promotedBy ? { promotedBy: r.promotedBy } : {}) })),
    watch: isTerminal(s.phase) ? { scaleSets: {}, replicating: [] } : watchList(s),
    transitions: s.transitions.slice(-30),
    ...(s.findings?.length ? { findings: s.findings.slice(-10).map((f) => f.slice(0, 300)) } : {}),
    ...(barred.length ? { barredApprovers: barred } : {}),
  };
  return fitStatus(full);
}

const bytes = (v: unknown) => JSON.stringify(v).length * 2;
/** `bytes` of a string without serialising it when nothing in it needs escaping (a scale set id, a fingerprint). */
const stringBytes = (s: string) => (/[\u0000-\u001f"\\\ud800-\udfff]/.test(s) ? bytes(s) : (s.length + 2) * 2);

/** Sheds what does not fit, measuring each part once (a large release's full status is ~150 KB: no re-serialising). */
function fitStatus(full: ReleaseSummary): ReleaseSummary {
  const ids = Object.entries(full.watch.scaleSets);
  const base = { ...full, watch: { ...full.watch, scaleSets: {} }, transitions: [] };
  let used = bytes(base);
  const transitionBytes = full.transitions.map((t) => bytes(t) + 2);
  const watchBytes = ids.map(([id, fp]) => stringBytes(id) + stringBytes(fp) + 4);
  const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  if (used + total(transitionBytes) + total(watchBytes) <= STATUS_BUDGET_BYTES) return full;
  let transitions = full.transitions;
  for (const keep of [10, 3, 0]) {
    transitions = full.transitions.slice(full.transitions.length - keep);
    if (used + total(transitionBytes.slice(transitionBytes.length - keep)) + total(watchBytes) <= STATUS_BUDGET_BYTES || keep === 0) break;
  }
  used += total(transitionBytes.slice(transitionBytes.length - transitions.length)) + bytes({ more: ids.length });
  let n = 0;
  while (n < ids.length && used + watchBytes[n]! <= STATUS_BUDGET_BYTES) used += watchBytes[n++]!;
  let out: ReleaseSummary = { ...full, transitions, watch: n === ids.length ? full.watch : { ...full.watch, scaleSets: Object.fromEntries(ids.slice(0, n)), more: ids.length - n } };
  if (used > STATUS_BUDGET_BYTES) {
    const minute = (m: Record<string, string>) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v.slice(0, 16)]));
    out = { ...out, rings: out.rings.map((r) => ({ ...r, opened: minute(r.opened), upgraded: minute(r.upgraded) })) };
  }
  return out;
}

/** The watch list's mark of a set whose OS upgrade the release started and has not seen yet. */
export const REQUESTED = 'requested';

/** Scale sets in open regions still upgrading (not yet Completed), and open regions still replicating. */
export function watchList(s: ReleaseState): ReleaseSummary['watch'] {
  const scaleSets: Record<string, string> = {};
  // A set that completed this version's upgrade has nothing more to tell: it is not read (forEachUnfinishedSet).
  forEachUnfinishedSet(s, (id, set) => {
    const u = set.upgrade;
    // An upgrade the release ignored (from before the region opened, or of another version) is known too, so it is
    // not announced again every minute: the newer of the two is what ARM reports as latest.
    const ignored = set.ignoredUpgrade;
    const ignoredIsNewer = ignored !== undefined && (u === undefined || Date.parse(ignored.startTime ?? '') > Date.parse(u.startTime ?? ''));
    const known = ignoredIsNewer ? ignored : u;
    // No upgrade seen yet: '' — or REQUESTED when the release started one itself (Azure reports its failure).
    scaleSets[id] = known ? upgradeFingerprint(known) : set.osUpgradeRequested ? REQUESTED : '';
  });
  const replicating = s.rings.flatMap((ring) => Object.keys(ring.opened).filter((region) => !ring.upgraded[region] && s.replication[region] !== 'Completed'));
  return { scaleSets, replicating };
}

/**
 * Scale sets whose instances to read: those in the open regions of the ring being worked on, while it opens,
 * upgrades and soaks — evidence keeps mattering after a set's rolling upgrade Completed (a slow burn).
 */
export function evidenceList(s: ReleaseState): string[] {
  if (!['opening', 'upgrading', 'soaking'].includes(s.phase)) return [];
  const ring = s.rings[s.ring];
  if (!ring) return [];
  return Object.keys(ring.opened).flatMap((region) => s.fleetByRegion[region] ?? []);
}
