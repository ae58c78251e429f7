/**
 * The fleet budget: how many instances may run a version that has not yet proven itself.
 *
 * An instance is *exposed* while its region is open and that region's rolling upgrades have not all
 * completed healthy. Opening a ring whose exposure would exceed the budget is split region by region;
 * a single region larger than the budget waits for an operator's approval.
 *
 * Worked example: fleet of 120 instances, budget "10%" → 12. Ring "broad" has westeurope (10),
 * southeastasia (10), australiaeast (10): westeurope opens first (exposure 10); when its upgrades
 * complete (exposure 0) southeastasia opens, then australiaeast. A region of 20 would need approval.
 */
import type { ReleasePlan } from './plan';
import { arePaired } from './region-pairs';
import { capacityIn, newRelease } from './release-state';
import type { ReleaseState } from './types';

/** The budget in instances, or undefined when the plan sets none. */
export function budgetLimit(state: ReleaseState): number | undefined {
  const budget = state.plan.budget?.maxInstancesOnUnprovenVersion;
  if (budget === undefined) return undefined;
  if (typeof budget === 'number') return budget;
  const pct = Number(budget.slice(0, -1));
  const fleet = Object.values(state.scaleSets).reduce((sum, s) => sum + s.capacity, 0);
  // At least one instance, or a percentage budget could never let anything through on a tiny fleet.
  return Math.max(1, Math.floor((fleet * pct) / 100));
}

/** Open regions whose upgrades have not yet all completed healthy. */
export function exposedRegions(state: ReleaseState): string[] {
  return state.rings.filter((ring) => !ring.passedAt).flatMap((ring) => Object.keys(ring.opened).filter((region) => !ring.upgraded[region]));
}

/** Instances in open regions whose upgrades have not yet all completed healthy. */
export function exposure(state: ReleaseState): number {
  return exposedRegions(state).reduce((sum, region) => sum + capacityIn(state, region), 0);
}

export type ChunkChoice =
  | { kind: 'open'; regions: string[] }
  | { kind: 'wait'; reason: string }
  | { kind: 'needs-approval'; reason: string };

/**
 * Which of the ring's unopened regions to open now, in plan order, within the budget.
 * `approved` lifts the budget for this ring (an operator took responsibility).
 */
export function chooseChunk(state: ReleaseState, ringIndex: number, approved: boolean): ChunkChoice {
  const ring = state.rings[ringIndex];
  if (!ring) return { kind: 'wait', reason: 'no such ring' };
  const closed = ring.regions.filter((r) => !ring.opened[r]);
  if (closed.length === 0) return { kind: 'wait', reason: 'every region of the ring is open' };
  // Azure never updates both regions of a pair in one phase, and neither does a release (a ring that
  // allowPairedRegions holds both): the second half waits until the first's upgrades completed healthy.
  const exposed = exposedRegions(state);
  const unopened: string[] = [];
  for (const region of closed) if (![...exposed, ...unopened].some((r) => arePaired(r, region))) unopened.push(region);
  if (unopened.length === 0) {
    const first = closed[0]!;
    return { kind: 'wait', reason: `${first} waits for its Azure pair ${exposed.find((r) => arePaired(r, first))} to finish upgrading` };
  }
  const limit = budgetLimit(state);
  if (limit === undefined || approved) return { kind: 'open', regions: unopened };
  let used = exposure(state);
  const chosen: string[] = [];
  for (const region of unopened) {
    const size = capacityIn(state, region);
    if (used + size > limit) break;
    chosen.push(region);
    used += size;
  }
  if (chosen.length > 0) return { kind: 'open', regions: chosen };
  const first = unopened[0]!;
  if (exposure(state) > 0) {
    return { kind: 'wait', reason: `budget: waiting for open regions to finish before ${first} (limit ${limit} instances)` };
  }
  return {
    kind: 'needs-approval',
    reason: `budget: ${first} has ${capacityIn(state, first)} instances, above the limit of ${limit} on an unproven version`,
  };
}

/** One opening of a ring: regions opened together, and whether the budget needed an operator's approval. */
export interface Wave {
  regions: string[];
  approval: boolean;
}

/**
 * The waves in which each ring opens under the plan's own rules (the fleet budget and the pair rule, as
 * `chooseChunk` applies them) when every upgrade completes healthy: the schedule no release of this plan can beat.
 * Each wave opens once the one before it completed. Payments (two sets of 10 per region, budget 50 % = 60): the
 * broad ring opens [northeurope, southeastasia, australiaeast], then [westeurope], northeurope's pair.
 */
export function ringWaves(plan: ReleasePlan, sets: readonly { id: string; region: string; capacity: number }[]): Wave[][] {
  const state = newRelease(plan, `${plan.image}/versions/0.0.0`, new Date(0));
  for (const set of sets) {
    state.scaleSets[set.id] = { region: set.region, capacity: set.capacity };
    (state.fleetByRegion[set.region] ??= []).push(set.id);
  }
  return state.rings.map((ring, index) => {
    const waves: Wave[] = [];
    // Bounded: each wave opens at least one region, or the ring ends.
    for (let n = 0; n < ring.regions.length; n++) {
      let choice = chooseChunk(state, index, false);
      const approval = choice.kind === 'needs-approval';
      if (approval) choice = chooseChunk(state, index, true);
      if (choice.kind !== 'open') break;
      for (const region of choice.regions) ring.opened[region] = ring.upgraded[region] = 'x';
      waves.push({ regions: choice.regions, approval });
    }
    ring.passedAt = 'x';
    return waves;
  });
}
