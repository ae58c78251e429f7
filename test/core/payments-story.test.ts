/**
 * The payments story, told to the engine: 1.7.0 breaks the HSM health probe, halts in the canary after
 * its first batch and is demoted; 1.7.1 ships through every ring.
 */
import { describe, expect, it } from 'vitest';
import { decide, validatePlan, type Command, type ReleaseEvent, type ReleaseState } from '../../src/core';
import {
  T0,
  at,
  loadPlan,
  newRelease,
  operator,
  paymentsFleet,
  planWith,
  published,
  replicated,
  rollingForward,
  rollingUpgradeCompleted,
  rollingUpgradeFaulted,
  versionId,
  wakeUp,
} from './factories';

const plan = loadPlan('payments.yaml');
const ALL = ['eastus', 'westus3', 'northeurope', 'westeurope', 'southeastasia', 'australiaeast'];

/** Feeds [minute, event] pairs to decide and collects the commands. */
function story(v: string, script: [number, ReleaseEvent][], start?: ReleaseState) {
  let state = start ?? newRelease(plan, versionId(v), T0);
  const log: { minute: number; commands: Command[]; cause: string; wakeAt?: string }[] = [];
  for (const [minute, event] of script) {
    const d = decide(state, event, new Date(at(minute)));
    state = d.state;
    log.push({ minute, commands: d.commands, cause: d.cause, ...(d.state.wakeAt ? { wakeAt: d.state.wakeAt } : {}) });
  }
  return { state, log, commands: log.flatMap((l) => l.commands) };
}

const kinds = (cs: Command[]) => cs.map((c) => (c.kind === 'notify' ? `notify:${c.notice}:${c.channel}` : c.kind));

describe('1.7.0 halts in the canary and is demoted', () => {
  const s = story('1.7.0', [
    [0, paymentsFleet(plan)],
    [0, published('1.7.0', ALL)],
    [20, replicated('1.7.0', 'eastus')],
    [30, rollingForward('vmss-eastus-1', at(25))],
    [40, rollingUpgradeFaulted('vmss-eastus-1', at(25))],
  ]);

  it('opens only the canary by clearing its regional flag', () => {
    const open = s.log[1]!.commands.filter((c) => c.kind === 'set-regional-exclude');
    expect(open).toEqual([
      { kind: 'set-regional-exclude', versionId: versionId('1.7.0'), regions: ['eastus'], excludeFromLatest: false, cause: 'open canary: eastus' },
    ]);
    expect(kinds(s.log[1]!.commands)).toEqual(['notify:started:slack', 'set-regional-exclude', 'notify:ring-opened:slack']);
    // Nothing runs 1.7.0 yet (no evidence to read): the wake-up is the upgrade timeout, 6 h after the canary opened.
    expect(s.log[1]!.wakeAt).toBe(at(360));
    // Once a canary set rolls, the next instance evidence read (health.evidenceEvery, 5m) comes first.
    expect(s.log[3]!.wakeAt).toBe(at(35));
  });

  it('demotes in the same decision that sees the Faulted upgrade: demote, cancel, then notify', () => {
    const last = s.log.at(-1)!;
    expect(kinds(last.commands)).toEqual(['demote-version', 'cancel-rolling-upgrade', 'notify:demoted:teams', 'notify:demoted:slack']);
    expect(last.commands[1]).toMatchObject({ kind: 'cancel-rolling-upgrade', region: 'eastus' });
    expect((last.commands[1] as { scaleSetId: string }).scaleSetId).toMatch(/vmss-eastus-2$/);
    expect(last.cause).toContain('MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade');
    const notice = last.commands[2] as Extract<Command, { kind: 'notify' }>;
    expect(notice.facts).toMatchObject({ version: '1.7.0', ring: 'canary', regions: ['eastus'], errorCode: 'MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade', unhealthyPercent: 100 }); // both instances of the first batch: 2 of 2 upgraded
  });

  it('ends demoted, with the cause recorded, and never exposes another region', () => {
    expect(s.state.phase).toBe('demoted');
    expect(s.state.demotion?.cause).toMatch(/breach in vmss-eastus-1 \(eastus\)/);
    const exposed = s.commands.flatMap((c) => (c.kind === 'set-regional-exclude' && !c.excludeFromLatest ? c.regions : c.kind === 'set-target-regions' ? c.addRegions : []));
    expect(exposed).toEqual(['eastus']);
  });

  it('ignores the duplicate Faulted event and refuses to promote the demoted version', () => {
    const again = decide(s.state, rollingUpgradeFaulted('vmss-eastus-1', at(25)), new Date(at(41)));
    expect(again.commands).toEqual([]);
    const promote = decide(s.state, operator('promote'), new Date(at(42)));
    expect(promote.commands).toEqual([]);
    expect(promote.state.phase).toBe('demoted');
    expect(promote.cause).toMatch(/never promoted/);
  });
});

describe('1.7.1 rolls through every ring', () => {
  const canary = story('1.7.1', [
    [0, paymentsFleet(plan)],
    [0, published('1.7.1', ALL)],
    [10, replicated('1.7.1', 'eastus')],
    [11, replicated('1.7.1', 'westus3')],
    [50, rollingUpgradeCompleted('vmss-eastus-1', at(15))],
    [55, rollingUpgradeCompleted('vmss-eastus-2', at(16))],
  ]);

  it('soaks the canary 30 minutes once both eastus scale sets completed, waking for evidence every 5 minutes and at the end of soak', () => {
    expect(canary.state.phase).toBe('soaking');
    expect(canary.log.at(-1)!.commands).toEqual([]);
    expect(canary.log.at(-1)!.wakeAt).toBe(at(60));
    expect(decide(canary.state, { kind: 'wake-up' }, new Date(at(82))).state.wakeAt).toBe(at(85));
  });

  it('health.evidenceEvery sets that cadence once every set rolls; before, the one-box is polled (pollEvery)', () => {
    const hourly = planWith({ health: { ...plan.health, evidenceEvery: '1h' } });
    const opened = [paymentsFleet(hourly), published('1.7.1', ALL), replicated('1.7.1', 'eastus')].reduce((st, e) => decide(st, e, T0).state, newRelease(hourly, versionId('1.7.1'), T0));
    expect(opened.wakeAt).toBe(new Date(T0.getTime() + 30_000).toISOString());
    // Its first batch healthy: the other canary set starts, nothing waits, and instance evidence sets the pace.
    const rolling = decide(opened, rollingForward('vmss-eastus-1', at(25)), new Date(at(30)));
    expect(rolling.commands.filter((c) => c.kind === 'start-os-upgrade')).toHaveLength(1);
    expect(rolling.state.wakeAt).toBe(at(90));
    expect(validatePlan({ ...hourly, health: { ...hourly.health, evidenceEvery: '10s' } }).ok).toBe(false);
  });

  it('does not open the next ring before the soak ends', () => {
    const early = decide(canary.state, wakeUp, new Date(at(84)));
    expect(early.state.phase).toBe('soaking');
    expect(early.commands.filter((c) => c.kind === 'set-regional-exclude')).toEqual([]);
  });

  it('opens westus3 at the end of soak, then splits the broad ring to stay inside the budget', () => {
    const s = story('1.7.1', [
      [85, wakeUp],
      [100, rollingUpgradeCompleted('vmss-westus3-1', at(90))],
      [101, rollingUpgradeCompleted('vmss-westus3-2', at(90))],
      [161, wakeUp],
      ...['northeurope', 'westeurope', 'southeastasia', 'australiaeast'].map((r, i): [number, ReleaseEvent] => [162 + i, replicated('1.7.1', r)]),
    ], canary.state);
    const opened = s.commands.flatMap((c) => (c.kind === 'set-regional-exclude' && !c.excludeFromLatest ? [c.regions.join('+')] : []));
    // Budget 50 % of 120 instances = 60: three regions of 20 — not westeurope, whose Azure pair northeurope opens
    // now — then westeurope once they finish.
    expect(opened).toEqual(['westus3', 'northeurope+southeastasia+australiaeast']);
    const done = story('1.7.1', [
      ...['northeurope', 'southeastasia', 'australiaeast'].flatMap((r): [number, ReleaseEvent][] => [
        [200, rollingUpgradeCompleted(`vmss-${r}-1`, at(170))],
        [200, rollingUpgradeCompleted(`vmss-${r}-2`, at(170))],
      ]),
      [230, rollingUpgradeCompleted('vmss-westeurope-1', at(210))],
      [231, rollingUpgradeCompleted('vmss-westeurope-2', at(210))],
    ], s.state);
    expect(done.commands.some((c) => c.kind === 'set-regional-exclude' && c.regions.join() === 'westeurope')).toBe(true);
    expect(done.state.phase).toBe('completed');
    expect(done.state.transitions.map((t) => t.to)).toContain('soaking');
    expect(kinds(done.log.at(-1)!.commands)).toContain('notify:completed:slack');
  });
});

describe('whole-set unhealthy pauses instead of demoting', () => {
  it('pauses on MaxUnhealthyInstancePercentExceededInRollingUpgrade, then resumes past the same observation', () => {
    const s = story('1.7.1', [
      [0, paymentsFleet(plan)],
      [0, published('1.7.1', ALL)],
      [10, replicated('1.7.1', 'eastus')],
      [20, rollingUpgradeFaulted('vmss-eastus-1', at(15), 'MaxUnhealthyInstancePercentExceededInRollingUpgrade', 0)],
    ]);
    expect(s.state.phase).toBe('paused');
    expect(s.commands.some((c) => c.kind === 'demote-version')).toBe(false);
    expect(kinds(s.log.at(-1)!.commands)).toEqual(['notify:paused:teams']);
    const resumed = story('1.7.1', [
      [30, operator('resume')],
      [31, rollingUpgradeFaulted('vmss-eastus-1', at(15), 'MaxUnhealthyInstancePercentExceededInRollingUpgrade', 0)],
    ], s.state);
    expect(resumed.state.phase).toBe('upgrading');
  });

  it('demotes instead when the plan says onWholeSetUnhealthy: demote', () => {
    const strict = { ...plan, health: { ...plan.health, onWholeSetUnhealthy: 'demote' as const } };
    let state = newRelease(strict, versionId('1.7.1'), T0);
    for (const e of [paymentsFleet(plan), published('1.7.1', ALL), replicated('1.7.1', 'eastus')]) state = decide(state, e, T0).state;
    const d = decide(state, rollingUpgradeFaulted('vmss-eastus-1', at(1), 'MaxUnhealthyInstancePercentExceededInRollingUpgrade', 0), new Date(at(5)));
    expect(d.commands[0]?.kind).toBe('demote-version');
  });
});

describe('metric gates', () => {
  const gated = planWith({
    health: {
      maxUnhealthyUpgradedInstancePercent: 20,
      metrics: [{ name: 'probe-availability', metric: 'DipAvailability', resourceId: '/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/loadBalancers/lb', operator: '<', threshold: 98 }],
    },
  });
  const soaking = () => {
    let state = newRelease(gated, versionId('1.7.1'), T0);
    for (const [m, e] of [[0, paymentsFleet(gated)], [0, published('1.7.1', ALL)], [10, replicated('1.7.1', 'eastus')], [50, rollingUpgradeCompleted('vmss-eastus-1', at(15))], [55, rollingUpgradeCompleted('vmss-eastus-2', at(16))]] as [number, ReleaseEvent][]) {
      state = decide(state, e, new Date(at(m))).state;
    }
    return state;
  };

  it('a failing metric while a ring is open demotes, naming the metric', () => {
    const d = decide(soaking(), { kind: 'gate-observed', gate: 'probe-availability', value: 91.5 }, new Date(at(60)));
    expect(d.commands[0]).toMatchObject({ kind: 'demote-version' });
    expect(d.state.demotion?.cause).toBe('metric gate probe-availability: DipAvailability = 91.5, < 98');
  });

  it('no data holds the next ring after the soak, and a healthy value lets it open', () => {
    const held = decide(soaking(), { kind: 'gate-observed', gate: 'probe-availability', value: null }, new Date(at(60)));
    expect(held.commands).toEqual([]);
    const afterSoak = decide(held.state, wakeUp, new Date(at(90)));
    expect(afterSoak.state.phase).toBe('soaking');
    expect(afterSoak.state.waitingFor).toContain('gate probe-availability not met');
    const ok = decide(afterSoak.state, { kind: 'gate-observed', gate: 'probe-availability', value: 99.9 }, new Date(at(91)));
    expect(ok.commands.some((c) => c.kind === 'set-regional-exclude' && c.regions.join() === 'westus3')).toBe(true);
  });
});
