/** Small factories that make engine tests read as the release story. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { decide, newRelease, validatePlan, type Command, type ReleaseEvent, type ReleasePlan, type ReleaseState, type UpgradeProgress } from '../../src/core';

export const SUB = '00000000-0000-0000-0000-000000000001';
export const IMAGE = `/subscriptions/${SUB}/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/galProd/images/payments-api`;
export const versionId = (v: string) => `${IMAGE}/versions/${v}`;
export const scaleSetId = (name: string) =>
  `/subscriptions/${SUB}/resourceGroups/rg-payments/providers/Microsoft.Compute/virtualMachineScaleSets/${name}`;

export function loadPlan(file: string): ReleasePlan {
  const result = validatePlan(parse(readFileSync(join(__dirname, '../../examples', file), 'utf8')));
  if (!result.ok) throw new Error(result.errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
  return result.plan;
}

export function planWith(overrides: Record<string, unknown>): ReleasePlan {
  const base = parse(readFileSync(join(__dirname, '../../examples/payments.yaml'), 'utf8')) as Record<string, unknown>;
  const result = validatePlan({ ...base, ...overrides });
  if (!result.ok) throw new Error(result.errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
  return result.plan;
}

/** The payments fleet: two scale sets of 10 instances in each region of the plan. */
export function paymentsFleet(plan: ReleasePlan): ReleaseEvent {
  return {
    kind: 'fleet-observed',
    scaleSets: plan.rings.flatMap((r) =>
      r.regions.flatMap((region) => [1, 2].map((n) => ({ id: scaleSetId(`vmss-${region}-${n}`), region, capacity: 10 }))),
    ),
  };
}

export function published(v: string, regions: string[], excluded = true): ReleaseEvent {
  return {
    kind: 'version-published',
    versionId: versionId(v),
    excludeFromLatest: false,
    targetRegions: regions.map((name) => ({ name, excludeFromLatest: excluded })),
  };
}

export const replicated = (v: string, region: string, state: 'Completed' | 'Failed' | 'Replicating' = 'Completed'): ReleaseEvent => ({
  kind: 'replication-observed',
  versionId: versionId(v),
  region,
  state,
});

const progress = (successful: number, failed: number, inProgress: number, pending: number): UpgradeProgress => ({ successful, failed, inProgress, pending });

export function rollingUpgradeCompleted(set: string, startTime: string): ReleaseEvent {
  return { kind: 'rolling-upgrade-observed', scaleSetId: scaleSetId(set), code: 'Completed', startTime, progress: progress(10, 0, 0, 0) };
}

export function rollingUpgradeFaulted(set: string, startTime: string, errorCode = 'MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade', failed = 2): ReleaseEvent {
  return { kind: 'rolling-upgrade-observed', scaleSetId: scaleSetId(set), code: 'Faulted', startTime, errorCode, progress: progress(0, failed, 0, 10 - failed) };
}

export function rollingForward(set: string, startTime: string, failed = 0): ReleaseEvent {
  return { kind: 'rolling-upgrade-observed', scaleSetId: scaleSetId(set), code: 'RollingForward', startTime, progress: progress(2, failed, 2, 6 - failed) };
}

export const wakeUp: ReleaseEvent = { kind: 'wake-up' };
export const operator = (action: 'pause' | 'resume' | 'approve' | 'promote' | 'abort' | 'demote'): ReleaseEvent => ({ kind: 'operator', action, actor: 'alice@contoso.com' });

/** Runs events through decide with a clock that advances `stepMs` per event; returns every step. */
export function run(state: ReleaseState, events: ReleaseEvent[], start: Date, stepMs = 60_000) {
  const steps: { event: ReleaseEvent; commands: Command[]; state: ReleaseState; cause: string; now: Date }[] = [];
  let s = state;
  let t = start.getTime();
  for (const event of events) {
    const now = new Date(t);
    const d = decide(s, event, now);
    steps.push({ event, commands: d.commands, state: d.state, cause: d.cause, now });
    s = d.state;
    t += stepMs;
  }
  return { state: s, steps, commands: steps.flatMap((x) => x.commands) };
}

export const T0 = new Date('2026-11-02T09:00:00Z');
export const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000).toISOString();
export { newRelease };
