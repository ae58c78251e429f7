/**
 * Health assessment of one rolling upgrade observation. Outcomes are data:
 * `breached` demotes, `whole-set` pauses (or demotes when the plan says so), `inconclusive` pauses and
 * asks a person, `healthy` and `pending` let the release go on. Inconclusive never promotes.
 */
import type { ReleasePlan } from './plan';
import type { ReleaseEvent, UpgradeProgress } from './types';

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
      // A code this version of Ringmaster does not know (the observation is data from outside): never guess.
      return { verdict: 'inconclusive', cause: `rolling upgrade ${String(obs.code)}, a status Ringmaster does not know; a person should look; ${counts}`, unhealthyPercent: pct };
  }
}

function total(p: UpgradeProgress): number {
  return p.successful + p.failed + p.inProgress + p.pending;
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
