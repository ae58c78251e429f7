/**
 * How often a release reads the rolling upgrades of its scale sets by itself, inside ARM's read budget. Pure.
 *
 * Azure raises `ResourceActionFailure` when an OS upgrade Ringmaster started fails, so those sets need no
 * polling beyond the fleet watcher's one-minute safety net — except drive mode's first set of a region while the
 * region's other sets wait for its first batch: no event says a batch came back healthy. An upgrade the platform
 * started (automatic OS upgrade, `drive: off`, or one Ringmaster adopted) raises nothing when it halts. While such a
 * set rolls forward — its batches being judged — the release reads it every `health.pollEvery`. Otherwise
 * (opening, soaking, waiting) it does not poll: soaks read instance evidence every `health.evidenceEvery`, and the
 * watcher covers the rest.
 *
 * The cadence never goes faster than ARM allows (see docs/judgement.md#polling-and-arms-read-budget):
 * - per scale set, Compute allows about 12 rolling-upgrade reads a minute; the watcher takes one of them, so a
 *   release reads a set at most every 60 s / 11;
 * - per subscription, ARM allows 12,000 reads an hour; one release's own polling takes at most a tenth (20 a
 *   minute), so n sets of one subscription are read at most every n × 3 s.
 */
import { parseDuration } from './duration';
import { forEachUnfinishedSet, scaleSetsIn } from './release-state';
import type { ReleaseState } from './types';

export const READ_BUDGET = {
  rollingStatusReadsPerSetPerMinute: 12,
  /** The fleet watcher's reads of each watched set, a minute. */
  watcherReadsPerSetPerMinute: 1,
  subscriptionReadsPerHour: 12_000,
  /** The share of a subscription's reads one release's polling may take. */
  releaseShare: 0.1,
} as const;

/** Rolling-upgrade reads a release makes in one round at the most; a larger watch list is read in turns. */
export const MAX_UPGRADE_READS_PER_ROUND = 50;

export interface PollCadence {
  /** `judging`: upgrades no event will report on roll forward (platform-started, or a first set others wait for); `quiet`: nothing to poll. */
  phase: 'judging' | 'quiet';
  /** Scale sets whose rolling upgrade the release polls (empty when quiet). */
  scaleSetIds: string[];
  /** Time between polls, from `health.pollEvery` slowed to the budget; undefined when quiet. */
  everyMs?: number;
}

const PREFIX = '/subscriptions/';
/** Scale set id → its subscription: the cadence is asked after every decision, over every watched set. */
const subscriptions = new Map<string, string>();

/** The subscription id of an ARM resource id (`/subscriptions/{id}/…`), lower case. */
function subscriptionOf(id: string): string {
  let sub = subscriptions.get(id);
  if (sub === undefined) {
    const end = id.indexOf('/', PREFIX.length);
    sub = (end < 0 ? id : id.slice(PREFIX.length, end)).toLowerCase();
    if (subscriptions.size > 100_000) subscriptions.clear();
    subscriptions.set(id, sub);
  }
  return sub;
}

/**
 * The slowest the budget lets a release read `readsPerRound` sets each poll: per set and per subscription.
 * `readsPerRound` counts, per subscription, the sets read in one poll (a round reads at most its cap, in turns).
 */
export function budgetFloorMs(readsPerSubscription: Iterable<number>): number {
  const perSet = 60_000 / (READ_BUDGET.rollingStatusReadsPerSetPerMinute - READ_BUDGET.watcherReadsPerSetPerMinute);
  const perMinute = (READ_BUDGET.subscriptionReadsPerHour / 60) * READ_BUDGET.releaseShare;
  const worst = Math.max(0, ...readsPerSubscription);
  return Math.max(perSet, (worst * 60_000) / perMinute);
}

/** Open regions of the current ring where some tracking sets were started and others wait (drive mode's first set). */
function regionsWaitingOnFirstSet(state: ReleaseState): Set<string> {
  const out = new Set<string>();
  if (state.plan.drive !== 'on') return out;
  const ring = state.rings[state.ring];
  for (const region of Object.keys(ring?.opened ?? {})) {
    if (ring!.upgraded[region]) continue;
    let tracking = 0;
    let started = 0;
    for (const id of scaleSetsIn(state, region)) {
      const set = state.scaleSets[id];
      if (set?.pinnedVersion !== undefined) continue;
      tracking++;
      if (set?.osUpgradeRequested) started++;
    }
    if (started > 0 && started < tracking) out.add(region);
  }
  return out;
}

/** The release's polling now. */
export function pollCadence(state: ReleaseState, maxReadsPerRound = MAX_UPGRADE_READS_PER_ROUND): PollCadence {
  if (!['opening', 'upgrading'].includes(state.phase)) return { phase: 'quiet', scaleSetIds: [] };
  // Judged: an upgrade the platform started, or drive mode's first set of a region whose other sets wait for its
  // first batch (the sooner it is seen healthy, the sooner they start). Every watched set is read in a poll round's
  // subscription budget, judged or not: one pass finds both.
  const judged: string[] = [];
  const watched = new Map<string, number>();
  const waiting = regionsWaitingOnFirstSet(state);
  forEachUnfinishedSet(state, (id, set) => {
    // A first set is polled from its start, before its upgrade was read back rolling.
    if (set.osUpgradeRequested ? waiting.has(set.region) : set.upgrade?.code === 'RollingForward') judged.push(id);
    const sub = subscriptionOf(id);
    watched.set(sub, (watched.get(sub) ?? 0) + 1);
  });
  if (judged.length === 0) return { phase: 'quiet', scaleSetIds: [] };
  // Each round also reads the version once (replication, excludeFromLatest).
  const reads = [...watched.values()].map((n) => Math.min(n, maxReadsPerRound) + 1);
  const wanted = parseDuration(state.plan.health.pollEvery) ?? 30_000;
  return { phase: 'judging', scaleSetIds: judged, everyMs: Math.max(wanted, budgetFloorMs(reads)) };
}
