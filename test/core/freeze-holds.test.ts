/**
 * Freezes and windows hold the platform, not only Ringmaster. Azure's automatic OS upgrade picks a new latest up
 * 30–60 minutes after a region can see it, so a freeze that starts after a ring opened would still see reimages
 * unless the region is taken back: when a freeze (or the end of a window) arrives while an open region's scale
 * sets have not started upgrading, the region is excluded from latest again and reopened when the hold ends.
 */
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/core';
import { newRelease, paymentsFleet, planWith, published, replicated, rollingForward, run, T0, versionId } from './factories';

const minutes = (m: number) => new Date(T0.getTime() + m * 60_000);
const iso = (m: number) => minutes(m).toISOString();

function canaryOpen(freeze = { from: iso(6), to: iso(240), reason: 'quarter close' }) {
  // The platform's pickup (drive: off): with drive mode Ringmaster starts the canary's upgrade as it opens.
  const plan = planWith({ drive: 'off', freezes: [freeze] });
  return run(newRelease(plan, versionId('1.7.1'), T0), [paymentsFleet(plan), published('1.7.1', plan.rings.flatMap((r) => r.regions)), replicated('1.7.1', 'eastus')], T0).state;
}

describe('a freeze that starts after a ring opened', () => {
  it('wakes at the freeze start and takes back the open regions whose sets have not started upgrading', () => {
    const open = canaryOpen();
    expect(open.phase).toBe('upgrading');
    expect(open.wakeAt).toBe(iso(6));
    const d = decide(open, { kind: 'wake-up' }, minutes(6));
    expect(d.commands).toContainEqual(expect.objectContaining({ kind: 'set-regional-exclude', regions: ['eastus'], excludeFromLatest: true }));
    expect(d.state.phase).toBe('held');
    expect(d.state.waitingFor).toMatch(/freeze until .* \(quarter close\)/);
    expect(d.state.rings[0]!.opened.eastus).toBeUndefined();
  });

  it('reopens the region when the freeze ends', () => {
    const held = decide(canaryOpen(), { kind: 'wake-up' }, minutes(6)).state;
    expect(held.wakeAt).toBe(iso(240));
    const d = decide(held, { kind: 'wake-up' }, minutes(240));
    expect(d.commands).toContainEqual(expect.objectContaining({ kind: 'set-regional-exclude', regions: ['eastus'], excludeFromLatest: false }));
    expect(d.state.rings[0]!.opened.eastus).toBe(iso(240));
  });

  it('leaves a region whose sets are already rolling (stopping half-way helps nobody; the gates still judge it)', () => {
    const open = canaryOpen();
    const rolling = run(open, [rollingForward('vmss-eastus-1', iso(3))], minutes(4)).state;
    const d = decide(rolling, { kind: 'wake-up' }, minutes(6));
    expect(d.commands.some((c) => c.kind === 'set-regional-exclude')).toBe(false);
    expect(d.state.rings[0]!.opened.eastus).toBeDefined();
  });
});
