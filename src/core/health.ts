/**
 * Health assessment of one rolling upgrade observation. Outcomes are data:
 * `breached` demotes, `whole-set` pauses (or demotes when the plan says so), `inconclusive` pauses and
 * asks a person, `healthy` and `pending` let the release go on. Inconclusive never promotes.
 */
import type { ReleasePlan } from './plan';
import type { InstanceObservation, InstanceVerdict, ReleaseEvent, UpgradeProgress } from './types';

/** Azure's error code when upgraded instances breach `maxUnhealthyUpgradedInstancePercent`. */
export const UPGRADED_BREACH_CODE = 'MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade';
/** Azure's error code when the whole set breaches `maxUnhealthyInstancePercent` (often for unrelated reasons). */
export const WHOLE_SET_CODE = 'MaxUnhealthyInstancePercentExceededInRollingUpgrade';

export type HealthAssessment =
  | { verdict: 'healthy' | 'pending'; cause: string }
  | { verdict: 'breached' | 'whole-set' | 'inconclusive'; cause: string; unhealthyPercent?: number };

/**
 * The share of a scale set's upgraded instances that came back unhealthy, in percent — Azure's definition of
 * `maxUnhealthyUpgradedInstancePercent`: a share of the instances already upgraded to the new image (those the
 * platform counted as succeeded or failed), not of the whole set. Instances pending or in progress are not in
 * the denominator.
 *
 * Worked examples (10 instances, batches of 20 %):
 *  - first batch of 2 upgraded, both unhealthy: 2 / 2 → 100 %.
 *  - 4 upgraded, 1 unhealthy, 6 pending: 1 / 4 → 25 %.
 *  - 6 upgraded, 2 unhealthy, 2 in progress, 2 pending: 2 / 6 → 33.3 %.
 *  - nothing upgraded yet: 0 %.
 */
export function unhealthyUpgradedPercent(p: UpgradeProgress): number {
  const upgraded = p.successful + p.failed;
  return upgraded === 0 ? 0 : (p.failed / upgraded) * 100;
}

type UpgradeObservation = Extract<ReleaseEvent, { kind: 'rolling-upgrade-observed' }>;

/** Judges one rolling upgrade observation against the plan's health policy. */
export function assessUpgrade(plan: ReleasePlan, obs: UpgradeObservation, cancelledByUs: boolean): HealthAssessment {
  const policy = plan.health;
  const pct = round1(unhealthyUpgradedPercent(obs.progress));
  const counts = `${obs.progress.failed} of ${obs.progress.successful + obs.progress.failed} upgraded instances unhealthy (${pct} %; ${total(obs.progress)} in the set)`;
  if (obs.code === 'Faulted') {
    if (obs.errorCode === WHOLE_SET_CODE) {
      return { verdict: 'whole-set', cause: `rolling upgrade Faulted with ${WHOLE_SET_CODE}; ${counts}`, unhealthyPercent: pct };
    }
    if (obs.errorCode === UPGRADED_BREACH_CODE && policy.breachOn.includes('platform-fault')) {
      return { verdict: 'breached', cause: `rolling upgrade Faulted with ${UPGRADED_BREACH_CODE}; ${counts}`, unhealthyPercent: pct };
    }
  }
  if (policy.breachOn.includes('unhealthy-percent') && pct > policy.maxUnhealthyUpgradedInstancePercent) {
    return {
      verdict: 'breached',
      cause: `${counts}, above the plan's limit of ${policy.maxUnhealthyUpgradedInstancePercent} %`,
      unhealthyPercent: pct,
    };
  }
  switch (obs.code) {
    case 'Completed':
      return { verdict: 'healthy', cause: `rolling upgrade Completed; ${counts}` };
    case 'RollingForward':
      return { verdict: 'pending', cause: `rolling upgrade RollingForward; ${counts}` };
    case 'Cancelled':
      return cancelledByUs
        ? { verdict: 'pending', cause: 'rolling upgrade Cancelled by Ringmaster' }
        : { verdict: 'inconclusive', cause: 'rolling upgrade Cancelled by someone else; a person should look', unhealthyPercent: pct };
    case 'Faulted':
      return {
        verdict: 'inconclusive',
        cause: `rolling upgrade Faulted with ${obs.errorCode ?? 'no error code'}${obs.errorMessage ? ` (${obs.errorMessage})` : ''}`,
        unhealthyPercent: pct,
      };
    default:
      // `Unknown`, or any code an event from outside carries that this version of Ringmaster does not know: never guess.
      return { verdict: 'inconclusive', cause: `rolling upgrade ${String(obs.code)}${obs.errorMessage ? ` (${obs.errorMessage})` : ''}, a status Ringmaster does not know; a person should look; ${counts}`, unhealthyPercent: pct };
  }
}

function total(p: UpgradeProgress): number {
  return p.successful + p.failed + p.inProgress + p.pending;
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

/** Fewer known instances than this on a side is not a sample: too few upgraded → wait; too few control → none. */
export const MIN_SAMPLE = 2;

/**
 * Judges one scale set on instance evidence: its instances on `version` (the upgraded) against those still on
 * another version (the control group: same set, same region, same moment). Instances whose health is
 * `unknown` (being reimaged, initialising) count on neither side.
 *
 * Rule, with u = unhealthy share of the upgraded and c = unhealthy share of the control (percent):
 *  - fewer than MIN_SAMPLE upgraded instances known → `pending` (nothing to judge yet);
 *  - u ≤ limit → `healthy`;
 *  - no control group (fewer than MIN_SAMPLE, e.g. the set completed the upgrade) → `breached`;
 *  - u − c > limit (the version is clearly worse than what it replaces) → `breached`;
 *  - otherwise → `unrelated`: both versions are about as unhealthy, an outage the version did not cause.
 *    Pause and ask a person; never demote.
 *
 * Worked examples (limit 20 %):
 *  - 10 upgraded, 4 unhealthy, none left on the old version (a slow burn in the soak): u 40 → breached.
 *  - first batch 2 of 2 unhealthy, 8 of 8 old healthy: u 100, c 0 → breached.
 *  - 2 of 4 upgraded and 3 of 6 old unhealthy (an outage during the batch): u 50, c 50 → unrelated.
 *  - 4 of 4 upgraded and 3 of 6 old unhealthy (the whole-set threshold tripped first): u 100, c 50 → breached.
 *  - 1 of 10 upgraded unhealthy: u 10 → healthy.
 */
export function assessInstances(limit: number, version: string, instances: readonly InstanceObservation[]): { verdict: InstanceVerdict; cause: string } {
  const known = instances.filter((i) => i.health === 'healthy' || i.health === 'unhealthy');
  const upgraded = known.filter((i) => i.version === version);
  const control = known.filter((i) => i.version !== undefined && i.version !== version);
  const bad = (xs: InstanceObservation[]) => xs.filter((i) => i.health === 'unhealthy').length;
  const pct = (xs: InstanceObservation[]) => (xs.length === 0 ? 0 : (bad(xs) / xs.length) * 100);
  const u = pct(upgraded);
  const ours = `${bad(upgraded)} of ${upgraded.length} instances on ${version} unhealthy (${round1(u)} %)`;
  if (upgraded.length < MIN_SAMPLE) return { verdict: 'pending', cause: `${upgraded.length} instance(s) on ${version} with a known health: too few to judge` };
  if (u <= limit) return { verdict: 'healthy', cause: `${ours}, within the plan's ${limit} %` };
  if (control.length < MIN_SAMPLE) return { verdict: 'breached', cause: `${ours}, above the plan's ${limit} %, with no control group left on the previous version` };
  const c = pct(control);
  const theirs = `${bad(control)} of ${control.length} on the previous version (${round1(c)} %)`;
  if (u - c > limit) return { verdict: 'breached', cause: `${ours}, clearly worse than ${theirs}` };
  return { verdict: 'unrelated', cause: `${ours}, but ${theirs}: an outage unrelated to the version` };
}
