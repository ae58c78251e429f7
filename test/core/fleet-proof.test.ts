/**
 * What counts as proof. A ring region with no scale set, or only scale sets pinned to a version, cannot show
 * that the version is good: the plan decides (`health.emptyRing: hold | skip | fail`, default hold for a
 * person). A pinned set never takes the new version, so it is reported by name and never waited for. A
 * version that sorts below the current latest can never become latest: the release fails at once.
 */
import { describe, expect, it } from 'vitest';
import { decide, type ReleaseEvent } from '../../src/core';
import { at, newRelease, planWith, published, replicated, rollingUpgradeCompleted, run, scaleSetId, T0, versionId } from './factories';

const minutes = (m: number) => new Date(T0.getTime() + m * 60_000);

/** The payments fleet without eastus's sets, or with one of them pinned. */
function fleet(plan: ReturnType<typeof planWith>, opts: { emptyEastus?: boolean; pinEastus2?: boolean; pinAllEastus?: boolean }): ReleaseEvent {
  return {
    kind: 'fleet-observed',
    scaleSets: plan.rings.flatMap((r) => r.regions).flatMap((region) =>
      region === 'eastus' && opts.emptyEastus
        ? []
        : [1, 2].map((n) => ({
            id: scaleSetId(`vmss-${region}-${n}`),
            region,
            capacity: 10,
            ...(region === 'eastus' && (opts.pinAllEastus || (opts.pinEastus2 && n === 2)) ? { pinnedVersion: '1.6.4' } : {}),
          })),
    ),
  };
}

function canary(overrides: Record<string, unknown>, opts: Parameters<typeof fleet>[1]) {
  const plan = planWith(overrides);
  return run(newRelease(plan, versionId('1.7.1'), T0), [fleet(plan, opts), published('1.7.1', plan.rings.flatMap((r) => r.regions)), replicated('1.7.1', 'eastus'), { kind: 'wake-up' }], T0);
}

describe('empty rings and pinned sets prove nothing', () => {
  it('a canary region with no scale set holds for a person (default); resume lets it pass', () => {
    const { state } = canary({}, { emptyEastus: true });
    expect(state.phase).toBe('paused');
    expect(state.waitingFor).toMatch(/eastus has no scale set of the plan that tracks latest: it proves nothing/);
    expect(state.rings[0]!.upgraded.eastus).toBeUndefined();
    const resumed = decide(state, { kind: 'operator', action: 'resume', actor: 'oncall@contoso.com' }, minutes(10));
    expect(resumed.state.rings[0]!.upgraded.eastus).toBeDefined();
    expect(resumed.state.phase).toBe('soaking');
  });

  it('emptyRing: skip passes it with the cause recorded; emptyRing: fail fails the release', () => {
    const skip = canary({ health: { maxUnhealthyUpgradedInstancePercent: 20, emptyRing: 'skip' } }, { emptyEastus: true });
    expect(skip.state.phase).toBe('soaking');
    expect(skip.state.findings.some((f) => /eastus has no scale set .* skipped as the plan says/.test(f))).toBe(true);
    const fail = canary({ health: { maxUnhealthyUpgradedInstancePercent: 20, emptyRing: 'fail' } }, { emptyEastus: true });
    expect(fail.state.phase).toBe('failed');
  });

  it('a pinned set is reported by name and never waited for', () => {
    const { state, commands } = canary({}, { pinEastus2: true });
    expect(state.findings).toContainEqual(expect.stringMatching(/vmss-eastus-2 pins 1\.6\.4: it never takes 1\.7\.1 and is not waited for/));
    void commands;
    const d = decide(state, rollingUpgradeCompleted('vmss-eastus-1', at(3)), minutes(5));
    expect(d.state.phase).toBe('soaking');
  });

  it('a region made only of pinned sets is an empty region', () => {
    const { state } = canary({}, { pinAllEastus: true });
    expect(state.phase).toBe('paused');
  });
});

describe('a version below the current latest', () => {
  it('1.6.3 published under latest 1.6.4 fails at once with the reason; no ring opens', () => {
    const plan = planWith({});
    const below: ReleaseEvent = { kind: 'version-published', versionId: versionId('1.6.3'), excludeFromLatest: false, targetRegions: [{ name: 'eastus', excludeFromLatest: true }], newestOtherVersion: '1.6.4' };
    const { state, commands } = run(newRelease(plan, versionId('1.6.3'), T0), [fleet(plan, {}), below], T0);
    expect(state.phase).toBe('failed');
    expect(state.transitions.at(-1)!.cause).toMatch(/1\.6\.3 sorts below 1\.6\.4, the newest version of the image: it can never become latest/);
    expect(commands.some((c) => c.kind === 'set-regional-exclude' && !c.excludeFromLatest)).toBe(false);
  });
});
