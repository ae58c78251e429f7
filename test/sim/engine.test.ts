import { describe, expect, it } from 'vitest';
import { loadFleetFile, mergeScenario, parseScenario } from '../../src/sim/fleet-spec';
import { Simulation } from '../../src/sim/simulation';
import { rollingUpgradeMs } from '../../src/sim/upgrade-engine';

const fleetPath = new URL('../../examples/fleets/payments.yaml', import.meta.url).pathname;
const H = 3_600_000;

function payments(timeline: unknown[] = []): Simulation {
  const fleet = mergeScenario(loadFleetFile(fleetPath), parseScenario({ timeline }));
  return new Simulation(fleet, { manualClock: true });
}

describe('upgrade engine on the payments fleet', () => {
  it('1.7.0 unhealthy: replication lands region by region, every region faults in its first batch and rolls back', () => {
    const sim = payments([{ at: '10m', action: 'publishVersion', image: 'payments-api', version: '1.7.0' }]);
    sim.clock.advance(11 * 60_000);
    const v = sim.image('payments-api')?.versions.get('1.7.0');
    expect(v?.targetRegions.map((r) => r.state)).toEqual(Array(6).fill('Replicating'));
    const landed = [...(v?.targetRegions ?? [])].sort((a, b) => a.completesAt - b.completesAt).map((r) => r.region);
    expect(landed[0]).toBe('eastus');
    expect(new Set(v?.targetRegions.map((r) => r.completesAt)).size).toBe(6);
    sim.clock.advance(6 * H);
    for (const s of sim.state.scaleSets.values()) {
      expect(s.rolling?.code, s.name).toBe('Faulted');
      expect(s.rolling?.error?.code).toBe('MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade');
      expect(s.rolling?.batches).toBe(1);
      expect(s.rolling?.rollback.succeeded).toBe(2);
      expect(s.instances.every((i) => i.version === '1.6.4' && i.health === 'healthy')).toBe(true);
      expect(s.history).toHaveLength(1);
    }
  });

  it('excluded from latest: nothing upgrades', () => {
    const sim = payments([{ at: '10m', action: 'publishVersion', image: 'payments-api', version: '1.7.0', excludeFromLatest: true }]);
    sim.clock.advance(8 * H);
    for (const s of sim.state.scaleSets.values()) expect(s.rolling).toBeUndefined();
  });

  it('1.7.1 healthy rolls through in batches with pauses and completes', () => {
    const sim = payments([{ at: '10m', action: 'publishVersion', image: 'payments-api', version: '1.7.1' }]);
    sim.clock.advance(8 * H);
    for (const s of sim.state.scaleSets.values()) {
      expect(s.rolling?.code).toBe('Completed');
      expect(s.rolling?.batches).toBe(5);
      expect(s.instances.every((i) => i.version === '1.7.1')).toBe(true);
      // Five batches of reimage (3 min) and health settle (2 min), the PT2M pause between batches, none after the
      // last (pauseTimeBetweenBatches is the wait before the next batch): 33 min, as rollingUpgradeMs says.
      expect(s.rolling!.endTime! - s.rolling!.startTime).toBe(rollingUpgradeMs(s, sim.behaviour));
      expect(s.rolling!.endTime! - s.rolling!.startTime).toBe(33 * 60_000);
    }
  });

  it('is deterministic for a seed', () => {
    const run = (): string => {
      const sim = payments([{ at: '10m', action: 'publishVersion', image: 'payments-api', version: '1.7.1' }]);
      sim.clock.advance(8 * H);
      return JSON.stringify([...sim.state.scaleSets.values()].map((s) => [s.name, s.rolling?.startTime, s.rolling?.endTime]));
    };
    expect(run()).toBe(run());
  });
});

describe('prerequisites missing: the platform silently does nothing', () => {
  const variants: [string, (g: Record<string, unknown>) => void][] = [
    ['pinned image', (g) => (g.pinnedVersion = '1.6.4')],
    ['two health sources', (g) => (g.healthSource = 'both')],
    ['no health source', (g) => (g.healthSource = 'none')],
    ['MaxSurge on Flex', (g) => ((g.upgradePolicy as { rollingUpgradePolicy: Record<string, unknown> }).rollingUpgradePolicy.maxSurge = true)],
  ];
  for (const [label, change] of variants) {
    it(label, () => {
      const fleet = loadFleetFile(fleetPath);
      const grp = fleet.scaleSets[0] as unknown as Record<string, unknown>;
      change(grp);
      const sim = new Simulation(mergeScenario(fleet, parseScenario({ timeline: [{ at: '10m', action: 'publishVersion', image: 'payments-api', version: '1.7.1' }] })), { manualClock: true });
      sim.clock.advance(8 * H);
      for (const s of sim.state.scaleSets.values()) {
        expect(s.rolling).toBeUndefined();
        expect(s.instances.every((i) => i.version === '1.6.4')).toBe(true);
      }
    });
  }
});

describe('cli', () => {
  it('prints help and refuses non-loopback hosts', async () => {
    const { runSimCommand } = await import('../../src/sim/cli');
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
    expect(await runSimCommand(['--help'], io)).toBe(0);
    expect(out.join('\n')).toMatch(/--state-dir DIR/);
    expect(await runSimCommand(['--host', '0.0.0.0'], io)).toBe(2);
    expect(err.join('\n')).toMatch(/loopback/);
    expect(await runSimCommand(['--speed', 'fast'], io)).toBe(2);
  });

  it('fleet file errors name the path of the bad field', async () => {
    const { parseFleet } = await import('../../src/sim/fleet-spec');
    expect(() => parseFleet({ subscriptionId: 'x', regions: [], gallery: {} })).toThrow(/at subscriptionId: a subscription id is a GUID/);
  });
});
