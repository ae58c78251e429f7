/**
 * Supersede is a hand-over, not an ending. When a newer version of the same image starts its release, the
 * older one opens no more rings, is re-excluded from every region where it has not passed, and stops rolling
 * there; but it keeps being watched where it ran: a fault of the older version still demotes it.
 */
import { describe, expect, it } from 'vitest';
import { decide, type ReleaseEvent, type ReleaseState } from '../../src/core';
import { at, newRelease, paymentsFleet, planWith, published, replicated, rollingForward, rollingUpgradeCompleted, rollingUpgradeFaulted, run, T0, versionId } from './factories';

const plan = planWith({});
const regions = plan.rings.flatMap((r) => r.regions);
const supersede: ReleaseEvent = { kind: 'superseded', byVersionId: versionId('1.7.2') };
const minutes = (m: number) => new Date(T0.getTime() + m * 60_000);

function inCanary(): ReleaseState {
  return run(newRelease(plan, versionId('1.7.1'), T0), [paymentsFleet(plan), published('1.7.1', regions), replicated('1.7.1', 'eastus'), rollingForward('vmss-eastus-1', at(2))], T0).state;
}

describe('supersede as a hand-over', () => {
  it('in the canary: the older version stops opening rings, is re-excluded where it has not passed, and its rolling upgrades are cancelled', () => {
    const d = decide(inCanary(), supersede, minutes(6));
    expect(d.state.phase).toBe('handing-over');
    expect(d.commands).toContainEqual(expect.objectContaining({ kind: 'set-regional-exclude', regions: ['eastus'], excludeFromLatest: true }));
    expect(d.commands.filter((c) => c.kind === 'cancel-rolling-upgrade').length).toBeGreaterThan(0);
    // The canary passing later opens nothing.
    const later = run(d.state, [rollingUpgradeCompleted('vmss-eastus-1', at(2)), rollingUpgradeCompleted('vmss-eastus-2', at(2)), { kind: 'wake-up' }], minutes(40));
    expect(later.commands.some((c) => c.kind === 'set-regional-exclude' && !c.excludeFromLatest)).toBe(false);
  });

  it('while it hands over, a fault of the older version on a set still running it demotes it, and says so', () => {
    const handing = decide(inCanary(), supersede, minutes(6)).state;
    const d = decide(handing, rollingUpgradeFaulted('vmss-eastus-2', at(3)), minutes(8));
    expect(d.state.phase).toBe('demoted');
    expect(d.state.demotion?.cause).toMatch(/breach in vmss-eastus-2/);
  });

  it("an upgrade that started after the hand-over is the newer version's: it is not counted for the older", () => {
    const handing = decide(inCanary(), supersede, minutes(6)).state;
    const d = decide(handing, rollingUpgradeFaulted('vmss-eastus-1', at(10)), minutes(12));
    expect(d.state.phase).toBe('handing-over');
    expect(d.cause).toMatch(/ignored: .*after the hand-over/);
  });

  it('ends superseded once the watch window has passed', () => {
    const handing = decide(inCanary(), supersede, minutes(6)).state;
    expect(handing.wakeAt).toBeDefined();
    const d = decide(handing, { kind: 'wake-up' }, new Date(Date.parse(handing.wakeAt!)));
    expect(d.state.phase).toBe('superseded');
  });
});
