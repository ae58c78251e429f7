/**
 * Property tests of the engine's safety invariants over random event sequences: duplicates, reordering,
 * stale events from older versions and events for unknown resources included. At least 1,000 sequences
 * per invariant (fast-check, seeded so a failure reproduces).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  budgetLimit,
  decide,
  decideAll,
  exposure,
  newRelease,
  openRegions,
  ringIndexOf,
  UPGRADED_BREACH_CODE,
  type Command,
  type ReleaseEvent,
  type ReleasePlan,
  type ReleaseState,
  type RollingUpgradeCode,
} from '../../src/core';
import { IMAGE, planWith, scaleSetId, T0, versionId } from './factories';

const RUNS = Number(process.env.RINGMASTER_PROPERTY_RUNS ?? 1000);
const REGIONS = ['eastus', 'westus3', 'northeurope', 'westeurope', 'southeastasia', 'australiaeast'];
const V = versionId('1.7.0');

const PLANS: ReleasePlan[] = [
  planWith({}),
  planWith({ lever: 'replication', budget: { maxInstancesOnUnprovenVersion: 25 } }),
  planWith({
    rings: [
      { name: 'canary', regions: ['eastus'], soak: '30m' },
      { name: 'early', regions: ['westus3', 'northeurope'], soak: '1h', approval: 'required' },
      { name: 'broad', regions: ['westeurope', 'southeastasia', 'australiaeast'], soak: '0s' },
    ],
    windows: [{ days: ['Mon', 'Tue', 'Wed'], from: '09:00', to: '12:00', timeZone: 'Europe/London' }],
    freezes: [{ from: '2026-11-03T00:00:00Z', to: '2026-11-03T12:00:00Z' }],
  }),
];

type EventAt = (now: Date, state: ReleaseState) => ReleaseEvent;

const region = fc.constantFrom(...REGIONS, 'brazilsouth');
const setName = fc.oneof(
  fc.tuple(fc.constantFrom(...REGIONS), fc.constantFrom(1, 2)).map(([r, n]) => `vmss-${r}-${n}`),
  fc.constant('vmss-unknown-9'),
);
const code = fc.constantFrom<RollingUpgradeCode>('RollingForward', 'Completed', 'Faulted', 'Cancelled');
const errorCode = fc.constantFrom(UPGRADED_BREACH_CODE, 'MaxUnhealthyInstancePercentExceededInRollingUpgrade', 'InternalExecutionError', undefined);
const version = fc.oneof({ weight: 5, arbitrary: fc.constant(V) }, { weight: 1, arbitrary: fc.constant(versionId('1.6.4')) });

const fleet: EventAt = () => ({
  kind: 'fleet-observed',
  scaleSets: REGIONS.flatMap((r) => [1, 2].map((n) => ({ id: scaleSetId(`vmss-${r}-${n}`), region: r, capacity: 10 }))),
});

/** An event that moves the release forward, chosen from its state: what a healthy fleet would report next. */
const progressing: EventAt = (now, state) => {
  for (const ring of state.rings) {
    for (const region of Object.keys(ring.opened)) {
      if (ring.upgraded[region]) continue;
      if (state.replication[region] !== 'Completed') return { kind: 'replication-observed', versionId: V, region, state: 'Completed' };
      const pending = Object.entries(state.scaleSets).find(([, s]) => s.region === region && s.upgrade?.code !== 'Completed');
      if (pending) {
        return {
          kind: 'rolling-upgrade-observed',
          scaleSetId: pending[0],
          code: 'Completed',
          startTime: new Date(now.getTime() - 60_000).toISOString(),
          progress: { successful: 10, failed: 0, inProgress: 0, pending: 0 },
        };
      }
    }
  }
  if (state.phase === 'paused') return { kind: 'operator', action: 'resume', actor: 'prop-test' };
  if (state.phase === 'awaiting-approval') return { kind: 'operator', action: state.waitingFor?.startsWith('budget:') ? 'approve-budget' : 'approve', actor: 'prop-test' };
  return { kind: 'wake-up' };
};

const eventAt: fc.Arbitrary<EventAt> = fc.oneof(
  { weight: 60, arbitrary: fc.constant(progressing) },
  { weight: 1, arbitrary: fc.constant(fleet) },
  {
    weight: 1,
    arbitrary: fc.tuple(version, fc.boolean(), fc.subarray(REGIONS)).map(([v, excluded, regions]): EventAt => () => ({
      kind: 'version-published',
      versionId: v,
      excludeFromLatest: false,
      targetRegions: regions.map((name) => ({ name, excludeFromLatest: excluded })),
    })),
  },
  {
    weight: 4,
    arbitrary: fc.tuple(version, region, fc.constantFrom('Completed', 'Completed', 'Replicating', 'Failed') as fc.Arbitrary<'Completed' | 'Replicating' | 'Failed'>)
      .map(([v, r, state]): EventAt => () => ({ kind: 'replication-observed', versionId: v, region: r, state })),
  },
  {
    weight: 8,
    arbitrary: fc
      .tuple(setName, fc.oneof(code, fc.constant<RollingUpgradeCode>('Completed')), errorCode, fc.integer({ min: -300, max: 0 }), fc.nat(5), fc.option(version, { nil: undefined }))
      .map(([name, c, err, offset, failed, v]): EventAt => (now) => ({
        kind: 'rolling-upgrade-observed',
        scaleSetId: scaleSetId(name),
        versionId: v,
        code: c,
        errorCode: c === 'Faulted' ? err : undefined,
        startTime: new Date(now.getTime() + offset * 60_000).toISOString(),
        progress: c === 'Completed' ? { successful: 10, failed: 0, inProgress: 0, pending: 0 } : { successful: 2, failed, inProgress: 2, pending: 6 - failed },
      })),
  },
  {
    // Data from outside is anything: codes Ringmaster does not know, counts that make no sense. Never a throw.
    weight: 1,
    arbitrary: fc
      .tuple(setName, fc.string({ maxLength: 40 }), fc.option(fc.string({ maxLength: 80 }), { nil: undefined }), fc.array(fc.oneof(fc.integer({ min: -5, max: 1_000_000 }), fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY)), { minLength: 4, maxLength: 4 }), fc.option(fc.string({ maxLength: 30 }), { nil: undefined }))
      .map(([name, c, err, [successful, failed, inProgress, pending], start]): EventAt => () => ({
        kind: 'rolling-upgrade-observed',
        scaleSetId: scaleSetId(name),
        code: c as RollingUpgradeCode,
        errorCode: err,
        startTime: start,
        progress: { successful: successful!, failed: failed!, inProgress: inProgress!, pending: pending! },
      })),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.constantFrom('probe-failures', 'other-rule'), fc.constantFrom('fired', 'resolved') as fc.Arbitrary<'fired' | 'resolved'>, setName)
      .map(([rule, state, name]): EventAt => () => ({ kind: 'alert', alertRule: rule, state, targetResourceIds: [scaleSetId(name)] })),
  },
  { weight: 7, arbitrary: fc.constant<EventAt>(() => ({ kind: 'wake-up' })) },
  {
    weight: 2,
    arbitrary: fc.constantFrom('pause', 'resume', 'approve', 'approve-budget', 'promote', 'abort', 'demote').map((action): EventAt => () => ({
      kind: 'operator',
      action: action as 'pause',
      actor: 'prop-test',
    })),
  },
  { weight: 1, arbitrary: fc.constant<EventAt>(() => ({ kind: 'superseded', byVersionId: `${IMAGE}/versions/1.8.0` })) },
);

/** A sequence: a plan, a head that starts the release, then random events with duplicates and reordering. */
const scenario = fc.record({
  plan: fc.constantFrom(...PLANS.keys()),
  body: fc.array(fc.tuple(eventAt, fc.integer({ min: 0, max: 180 })), { minLength: 5, maxLength: 100 }),
  duplicates: fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 8 }),
  abortsOften: fc.boolean(),
});

interface Step {
  prev: ReleaseState;
  next: ReleaseState;
  commands: Command[];
  event: ReleaseEvent;
  now: Date;
}

function play(s: { plan: number; body: [EventAt, number][]; duplicates: [number, number][]; abortsOften: boolean }): Step[] {
  const plan = PLANS[s.plan]!;
  const body = [...s.body];
  // Duplicates and reordering: copy an earlier event to a later position.
  for (const [from, to] of s.duplicates) {
    const e = body[from % body.length];
    if (e) body.splice(to % (body.length + 1), 0, e);
  }
  const events: [EventAt, number][] = [
    [fleet, 0],
    [() => ({ kind: 'version-published', versionId: V, excludeFromLatest: false, targetRegions: REGIONS.map((name) => ({ name, excludeFromLatest: true })) }), 0],
    ...body.filter(([e]) => !s.abortsOften || e !== fleet),
  ];
  let state = newRelease(plan, V, T0);
  let t = T0.getTime();
  const steps: Step[] = [];
  for (const [make, gapMin] of events) {
    t += gapMin * 60_000;
    const now = new Date(t);
    const event = make(now, state);
    const d = decide(state, event, now);
    steps.push({ prev: state, next: d.state, commands: d.commands, event, now });
    state = d.state;
  }
  return steps;
}

const exposing = (c: Command): string[] =>
  c.kind === 'set-regional-exclude' && !c.excludeFromLatest ? c.regions : c.kind === 'set-target-regions' ? c.addRegions : c.kind === 'start-os-upgrade' ? [c.region] : [];

function property(check: (steps: Step[]) => void) {
  fc.assert(fc.property(scenario, (s) => check(play(s))), { numRuns: RUNS, seed: 20261125 });
}

describe('release engine invariants', () => {
  it('a ring never opens before the previous ring passed its gates (soak, approval)', () => {
    property((steps) => {
      for (const { next, commands } of steps) {
        for (const region of commands.flatMap(exposing)) {
          const i = ringIndexOf(next, region);
          if (i > 0) {
            const before = next.rings[i - 1]!;
            expect(before.passedAt, `${region} opened before ${before.name} passed`).toBeDefined();
            expect(Date.parse(before.passedAt!)).toBeGreaterThanOrEqual(Date.parse(before.soakUntil!));
          }
          if (next.plan.rings[i]?.approval === 'required') expect(next.rings[i]!.approvedBy).toBeDefined();
        }
      }
    });
  });

  it('a demoted version is never re-promoted automatically', () => {
    property((steps) => {
      let demoted = false;
      for (const { next, commands } of steps) {
        if (demoted) {
          expect(commands.flatMap(exposing)).toEqual([]);
          expect(next.phase).toBe('demoted');
        }
        demoted ||= next.demotion !== undefined;
      }
    });
  });

  it('demotion is issued at most once and each route is notified once per notice', () => {
    property((steps) => {
      const all = steps.flatMap((s) => s.commands);
      expect(all.filter((c) => c.kind === 'demote-version').length).toBeLessThanOrEqual(1);
      const keys = all.flatMap((c) => (c.kind === 'notify' ? [c.dedupeKey] : []));
      expect(new Set(keys).size).toBe(keys.length);
    });
  });

  it('no command exposes or cancels in a region outside the open rings', () => {
    property((steps) => {
      for (const { next, commands } of steps) {
        const open = openRegions(next);
        for (const r of commands.flatMap(exposing)) expect(open.has(r), `${r} exposed while closed`).toBe(true);
        for (const c of commands) if (c.kind === 'cancel-rolling-upgrade') expect(open.has(c.region)).toBe(true);
      }
    });
  });

  it('the fleet budget is never exceeded without an operator approval', () => {
    property((steps) => {
      for (const { next } of steps) {
        const limit = budgetLimit(next);
        if (limit === undefined || next.rings.some((r) => r.budgetApprovedBy)) continue;
        expect(exposure(next)).toBeLessThanOrEqual(limit);
      }
    });
  });

  it('windows and freezes never delay a demotion: a breach demotes in the same decision', () => {
    property((steps) => {
      for (const { prev, event, commands } of steps) {
        if (event.kind !== 'rolling-upgrade-observed' || event.code !== 'Faulted' || event.errorCode !== UPGRADED_BREACH_CODE) continue;
        if (prev.demotion || ['completed', 'aborted', 'superseded', 'failed'].includes(prev.phase)) continue;
        if (event.versionId !== undefined && event.versionId !== V) continue;
        const set = prev.scaleSets[event.scaleSetId];
        if (!set) continue;
        const openedAt = prev.rings[ringIndexOf(prev, set.region)]?.opened[set.region];
        if (!openedAt || Date.parse(event.startTime!) < Date.parse(openedAt)) continue;
        const prior = set.upgrade;
        if (prior?.acknowledged && prior.code === 'Faulted' && prior.startTime === event.startTime) continue;
        expect(commands[0]?.kind, 'first command after a breach').toBe('demote-version');
      }
    });
  });

  it('is total and deterministic: the same inputs give the same decision', () => {
    property((steps) => {
      for (const { prev, event, now, next, commands } of steps.slice(0, 20)) {
        const again = decide(prev, event, now);
        expect(again.state).toEqual(next);
        expect(again.commands).toEqual(commands);
      }
    });
  });
});

describe('the generator', () => {
  it('reaches the interesting paths, so the invariants above are not vacuous', () => {
    const samples = fc.sample(scenario, { numRuns: 1000, seed: 20261125 });
    const seen = { secondRingOpened: 0, thirdRingOpened: 0, breachDemoted: 0, completed: 0, paused: 0 };
    for (const s of samples) {
      const steps = play(s);
      const last = steps.at(-1)!.next;
      if (Object.keys(last.rings[1]?.opened ?? {}).length) seen.secondRingOpened++;
      if (Object.keys(last.rings[2]?.opened ?? {}).length) seen.thirdRingOpened++;
      if (last.demotion?.by === 'ringmaster') seen.breachDemoted++;
      if (last.phase === 'completed') seen.completed++;
      if (steps.some((x) => x.next.phase === 'paused')) seen.paused++;
    }
    console.log('property generator coverage over 1,000 sequences:', seen);
    for (const [path, count] of Object.entries(seen)) expect(count, path).toBeGreaterThan(10);
  });
});

describe('decideAll', () => {
  it('equals folding decide over the same events at the same time', () => {
    fc.assert(
      fc.property(scenario, fc.integer({ min: 1, max: 30 }), (s, cut) => {
        const steps = play(s);
        const start = steps[Math.min(cut, steps.length - 1)]!;
        const now = start.now;
        const events = steps.slice(Math.min(cut, steps.length - 1)).map((x) => x.event);
        let folded = start.prev;
        const foldedDecisions: { commands: unknown; cause: string }[] = [];
        for (const e of events) {
          const d = decide(folded, e, now);
          folded = d.state;
          foldedDecisions.push({ commands: d.commands, cause: d.cause });
        }
        const batch = decideAll(start.prev, events, now);
        expect(batch.state).toEqual(folded);
        expect(batch.decisions).toEqual(foldedDecisions);
      }),
      { numRuns: Math.min(RUNS, 300), seed: 20261125 },
    );
  });
});
