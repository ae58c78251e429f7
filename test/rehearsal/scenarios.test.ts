/** Every other rehearsal scenario, each asserting its own expected outcome from report.json. */
import { describe, expect, it } from 'vitest';
import { rehearse } from './run-scenario';

describe('rehearsal scenarios', () => {
  it('monthly-rebake: the timer runs Image Builder, the new version is contained and released', async () => {
    const { status, report } = await rehearse('monthly-rebake');
    expect(status, report.failures.join('\n')).toBe(0);
    expect(report.releases).toHaveLength(1);
    expect(report.releases[0]).toMatchObject({ version: '1.7.0', finalState: 'completed', maxInstancesOnVersionOutsideOpenRings: 0 });
    expect(report.armCalls.byOperation.VirtualMachineImageTemplates_Run ?? report.armCalls.byOperation.ImageTemplates_Run).toBeGreaterThan(0);
  });

  it('unrelated-unhealthy: whole-set unhealthy pauses (never demotes), resume restarts the upgrade', async () => {
    const { status, report } = await rehearse('unrelated-unhealthy');
    expect(status, report.failures.join('\n')).toBe(0);
    expect(report.releases[0]).toMatchObject({ finalState: 'completed', demoted: false });
    expect(report.notifications.map((n) => n.event)).toContain('paused');
    expect(report.armCalls.byOperation.VirtualMachineScaleSetRollingUpgrades_StartOSUpgrade).toBeGreaterThan(0);
  });

  it('notify-down: the demotion is not delayed by dead chat services; notices are retried and recorded', async () => {
    const { status, report } = await rehearse('notify-down');
    expect(status, report.failures.join('\n')).toBe(0);
    expect(report.releases[0]).toMatchObject({ finalState: 'demoted' });
    // The platform's halt is seen at the watcher's next poll (every simulated minute) and demoted that round.
    expect(report.timings.breachToDemoteMs).toHaveLength(1);
    expect(report.timings.breachToDemoteMs[0]!).toBeLessThanOrEqual(90_000);
    const demoted = report.notifications.filter((n) => n.event === 'demoted');
    expect(demoted.length).toBe(2);
    for (const n of demoted) {
      expect(n.delivered).toBe(false);
      expect(n.attempts).toBeGreaterThan(3);
    }
  });

  it('replication-failed: the release pauses before the failed region and the operator aborts', async () => {
    const { status, report } = await rehearse('replication-failed');
    expect(status, report.failures.join('\n')).toBe(0);
    expect(report.releases[0]).toMatchObject({ finalState: 'aborted' });
    expect(report.releases[0]!.rings.map((r) => Boolean(r.completedAt))).toEqual([true, false, false]);
  });

  it('slow-burn: 1.7.0 Completes in the canary, burns during the soak and is demoted there; the early ring never opens', async () => {
    const { status, report } = await rehearse('slow-burn');
    const verdict = (report as typeof report & { verdict?: string }).verdict;
    expect(status, `verdict ${verdict}: ${report.failures.join('; ')}`).toBe(0);
    expect(verdict).toBe('passed');
    const release = report.releases[0]!;
    expect(release).toMatchObject({ version: '1.7.0', finalState: 'demoted', maxInstancesOnVersionOutsideOpenRings: 0 });
    expect(release.rings.filter((r) => r.openedAt).map((r) => r.name)).toEqual(['canary']);
    expect(release.demotionCause).not.toMatch(/Faulted/); // the platform's checks passed: the upgrades Completed
    expect(release.instancesUpgraded).toBeLessThanOrEqual(20); // the canary's two sets of ten
  });

  it('payments-pickup (drive: off): the platform picks each ring up itself; 1.7.0 is still stopped in its first batch, 1.7.1 takes twice as long', async () => {
    const { status, report } = await rehearse('payments-pickup');
    expect(status, report.failures.join('\n')).toBe(0);
    const [bad, good] = report.releases;
    expect(bad).toMatchObject({ version: '1.7.0', finalState: 'demoted', maxInstancesOnVersionOutsideOpenRings: 0 });
    expect(bad!.instancesUpgraded).toBeLessThanOrEqual(2); // the first batch of one canary set
    expect(good).toMatchObject({ version: '1.7.1', finalState: 'completed' });
    // The platform's 30–60 minute pickup per ring: over twice the lower bound (drive mode: under 1.5 times).
    expect(good!.ratioToLowerBound).toBeGreaterThan(2);
    expect(report.armCalls.byOperation.VirtualMachineScaleSetRollingUpgrades_StartOSUpgrade ?? 0).toBe(0);
  });

  it('operator: the broad ring waits for approval given through the HTTP API', async () => {
    const { status, report } = await rehearse('operator');
    expect(status, report.failures.join('\n')).toBe(0);
    expect(report.releases[0]).toMatchObject({ finalState: 'completed' });
    expect(report.notifications.map((n) => n.event)).toContain('awaiting-approval');
  });
});
