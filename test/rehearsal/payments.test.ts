/** The README's main job: the payments rehearsal, end to end, through the CLI. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rehearse } from './run-scenario';

describe('ringmaster rehearse (payments)', () => {
  it('demotes 1.7.0 in the canary after its first batch and ships 1.7.1 everywhere', async () => {
    const { status, report, stdout, outDir } = await rehearse('payments');
    expect(status, report.failures.join('\n')).toBe(0);
    expect(JSON.parse(stdout)).toEqual(report);
    const [bad, good] = report.releases;
    expect(bad).toMatchObject({ version: '1.7.0', finalState: 'demoted', demoted: true, maxInstancesOnVersionOutsideOpenRings: 0 });
    expect(bad!.demotionCause).toContain('MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade');
    expect(bad!.rings.filter((r) => r.openedAt).map((r) => r.name)).toEqual(['canary']);
    // The canary's first batch is 20 % of one 10-instance set: at most 2 instances ever ran 1.7.0.
    expect(report.blastRadius.instancesOnBadVersion).toBeLessThanOrEqual(2);
    expect(report.blastRadius.regionsAffected).toBe(1);
    expect(good).toMatchObject({ version: '1.7.1', finalState: 'completed', instancesUpgraded: 120, maxInstancesOnVersionOutsideOpenRings: 0 });
    expect(good!.rings.every((r) => r.openedAt && r.completedAt)).toBe(true);
    for (const event of ['demoted', 'completed']) {
      expect(report.notifications.some((n) => n.event === event && n.delivered), event).toBe(true);
    }
    expect(report.chatMessagesReceived).toBe(report.notifications.filter((n) => n.delivered).length);
    // Azure alone lets 1.7.0 reach every region; Ringmaster keeps it to a fraction.
    expect(report.baseline!.regionsAffected).toBe(6);
    expect(report.blastRadius.ratioToBaseline!).toBeLessThan(0.25);
    // Drive mode: Ringmaster started the canary's upgrade, so the platform's halt comes back as the action's
    // ResourceActionFailure event and the version is demoted in the round it arrives, at the same simulated time.
    expect(report.armCalls.byOperation.VirtualMachineScaleSetRollingUpgrades_StartOSUpgrade).toBeGreaterThan(0);
    expect(report.timings.breachToDemoteMs).toEqual([0]);
    // 1.7.1 with no 30–60 minute pickup per ring: within 1.5 × its lower bound (Σ soak + one rolling upgrade a ring).
    expect(good!.lowerBoundMs).toBe((30 + 60 + 0 + 3 * 33) * 60_000);
    expect(good!.ratioToLowerBound!).toBeLessThan(1.5);
    // The fastest this plan allows adds what no controller can skip: eastus's replication (about 20 min), the broad
    // ring's second wave (westeurope waits for its pair northeurope, and the 50 % budget) and the canary's one-box
    // (its first set's first batch, 5 min). Drive mode's region-by-region first sets cost the rest.
    const replication = good!.floorMs! - good!.lowerBoundMs - 33 * 60_000 - 5 * 60_000;
    expect(replication).toBeGreaterThan(17 * 60_000);
    expect(replication).toBeLessThan(23 * 60_000);
    expect(good!.ratioToFloor!).toBeLessThan(1.1);
    expect(report.armCalls.total / report.releases.length).toBeLessThanOrEqual(874);
    expect(report.armCalls.byOperation.GalleryImageVersions_Update).toBeGreaterThan(0);
    const html = readFileSync(join(outDir, 'report.html'), 'utf8');
    expect(html).toContain('Ringmaster vs Azure alone');
    expect(html).not.toMatch(/<script|https?:\/\/(?!127\.0\.0\.1)[a-z]/i);
  });
});
