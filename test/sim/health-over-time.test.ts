// Health that changes over time: slow burns (`afterUpgrade`), outages in a window (`from`/`until`) on old and new
// instances alike, an exact seeded share per scale set (`unhealthyPercent`), and the upgrade engine's thresholds
// read against health as it is when each batch is checked.
import { describe, expect, it } from 'vitest';
import { HealthOracle } from '../../src/sim/behaviour';
import { healthRuleSpec, loadFleetFile, mergeScenario, parseScenario, SpecError } from '../../src/sim/fleet-spec';
import type { ScaleSet } from '../../src/sim/fleet-model';
import { Simulation } from '../../src/sim/simulation';

const fleetPath = new URL('../../examples/fleets/payments.yaml', import.meta.url).pathname;
const M = 60_000;
const H = 60 * M;

function payments(scenario: unknown, seed?: number): Simulation {
  const fleet = mergeScenario(loadFleetFile(fleetPath), parseScenario(scenario));
  return new Simulation(fleet, { manualClock: true, ...(seed !== undefined ? { seed } : {}) });
}
const publishCanary = { at: '10m', action: 'publishVersion', image: 'payments-api', version: '1.7.0', targetRegions: ['eastus'] };
const unhealthy = (s: ScaleSet): number => s.instances.filter((i) => i.health === 'unhealthy').length;
const eastus = (sim: Simulation): ScaleSet[] => [...sim.state.scaleSets.values()].filter((s) => s.location === 'eastus');

describe('health rule spec', () => {
  const rows: { name: string; rule: unknown; ok: boolean; message?: RegExp }[] = [
    { name: 'a slow burn', rule: { version: '1.7.0', regions: ['eastus'], unhealthyPercent: 40, afterUpgrade: '30m' }, ok: true },
    { name: 'an outage on every version in a window', rule: { version: '*', scaleSets: ['vmss-payments-eastus-1'], unhealthyPercent: 50, from: '2h', until: '3h' }, ok: true },
    { name: 'the static forms still parse', rule: { version: '1.7.0', healthy: false }, ok: true },
    { name: 'unhealthyProbability still parses', rule: { version: '1.7.*', unhealthyProbability: 0.3 }, ok: true },
    { name: 'a percent over 100', rule: { version: '1.7.0', unhealthyPercent: 101 }, ok: false, message: /unhealthyPercent/ },
    { name: 'an unknown key', rule: { version: '1.7.0', unhealthyPercnt: 40 }, ok: false, message: /unhealthyPercnt/ },
    { name: 'two verdicts in one rule', rule: { version: '1.7.0', healthy: false, unhealthyPercent: 40 }, ok: false, message: /only one of/ },
    { name: 'a window that ends before it starts', rule: { version: '*', unhealthyPercent: 10, from: '3h', until: '2h' }, ok: false, message: /until/ },
    { name: 'a bad duration', rule: { version: '*', unhealthyPercent: 10, afterUpgrade: 'soon' }, ok: false, message: /afterUpgrade/ },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const r = healthRuleSpec.safeParse(row.rule);
      expect(r.success).toBe(row.ok);
      if (!r.success && row.message) expect(JSON.stringify(r.error.issues)).toMatch(row.message);
    });
  }
  it('a scenario file names the bad rule', () => {
    expect(() => parseScenario({ health: [{ version: '1.7.0', unhealthyPercent: 140 }] })).toThrow(SpecError);
    expect(() => parseScenario({ health: [{ version: '1.7.0', unhealthyPercent: 140 }] })).toThrow(/health\[0\]\.unhealthyPercent/);
  });
});

describe('HealthOracle: an exact seeded share per scale set', () => {
  const ids = Array.from({ length: 10 }, (_, k) => `vm_${k}`);
  const subject = (instanceId: string, version = '1.7.0', image = 'api') => ({ version, image, region: 'eastus', scaleSet: 'vmss-a', instanceId, setInstanceIds: ids, reimagedAt: 0 });

  it('40 % of a set of ten is four instances, the same four for a seed', () => {
    const oracle = new HealthOracle(7, [healthRuleSpec.parse({ version: '1.7.0', unhealthyPercent: 40 })], 0);
    const bad = ids.filter((id) => !oracle.healthy(subject(id), H));
    expect(bad).toHaveLength(4);
    const again = new HealthOracle(7, [healthRuleSpec.parse({ version: '1.7.0', unhealthyPercent: 40 })], 0);
    expect(ids.filter((id) => !again.healthy(subject(id), H))).toEqual(bad);
    expect(ids.filter((id) => !oracle.healthy(subject(id, '1.6.4'), H))).toEqual([]);
  });

  it('image: a rule about one image definition leaves the same version name of another image alone', () => {
    const oracle = new HealthOracle(7, [healthRuleSpec.parse({ version: '1.7.0', image: 'api', healthy: false })], 0);
    expect(oracle.healthy(subject('vm_0', '1.7.0', 'api'), H)).toBe(false);
    expect(oracle.healthy(subject('vm_0', '1.7.0', 'web'), H)).toBe(true);
  });

  it('afterUpgrade: in force only from that long after the reimage', () => {
    const oracle = new HealthOracle(7, [healthRuleSpec.parse({ version: '1.7.0', unhealthyPercent: 100, afterUpgrade: '30m' })], 0);
    const s = { ...subject('vm_0'), reimagedAt: H };
    expect(oracle.healthy(s, H + 29 * M)).toBe(true);
    expect(oracle.healthy(s, H + 30 * M)).toBe(false);
  });

  it('from/until: in force only in the window since the simulation start', () => {
    const oracle = new HealthOracle(7, [healthRuleSpec.parse({ version: '*', unhealthyPercent: 100, from: '2h', until: '3h' })], 1_000);
    expect(oracle.healthy(subject('vm_0'), 1_000 + 2 * H - 1)).toBe(true);
    expect(oracle.healthy(subject('vm_0', '1.6.4'), 1_000 + 2 * H)).toBe(false);
    expect(oracle.healthy(subject('vm_0'), 1_000 + 3 * H)).toBe(true);
  });

  it('a share never makes an instance healthy: an outage over a broken version leaves it broken', () => {
    const oracle = new HealthOracle(7, [healthRuleSpec.parse({ version: '*', unhealthyPercent: 50, from: '0s', until: '1h' }), healthRuleSpec.parse({ version: '1.7.0', healthy: false })], 0);
    expect(ids.every((id) => !oracle.healthy(subject(id), 30 * M))).toBe(true);
    expect(ids.filter((id) => !oracle.healthy(subject(id, '1.6.4'), 30 * M))).toHaveLength(5);
  });
});

describe('the upgrade engine with health that changes over time', () => {
  it('slow burn: every batch passes, the upgrade Completes, then 40 % of the upgraded instances turn unhealthy an hour after their reimage', () => {
    const sim = payments({
      health: [
        { version: '1.7.0', regions: ['eastus'], unhealthyPercent: 40, afterUpgrade: '60m' },
        { version: '1.7.0', healthy: true },
      ],
      timeline: [publishCanary],
    });
    sim.clock.advance(3 * H);
    for (const s of eastus(sim)) {
      expect(s.rolling?.code, s.name).toBe('Completed');
      expect(s.rolling?.batches).toBe(5);
      expect(s.rolling?.failed.size).toBe(0);
      expect(s.instances.every((i) => i.version === '1.7.0')).toBe(true);
      expect(unhealthy(s), s.name).toBe(4);
    }
  });

  it('the slow-burn scenario (30 minutes): the canary sets still Complete — the first batch burns as the last one is checked, 2 of 10 is not over 20 %', () => {
    const sim = payments({ health: [{ version: '1.7.0', unhealthyPercent: 40, afterUpgrade: '30m' }, { version: '1.7.0', healthy: true }], timeline: [publishCanary] });
    sim.clock.advance(4 * H);
    for (const s of eastus(sim)) {
      expect(s.rolling?.code, s.name).toBe('Completed');
      expect(unhealthy(s)).toBe(4);
    }
  });

  it('slow burn: an instance is healthy up to its delay and unhealthy from then on (re-evaluated as time passes)', () => {
    const sim = payments({ health: [{ version: '1.7.0', regions: ['eastus'], unhealthyPercent: 100, afterUpgrade: '30m' }, { version: '1.7.0', healthy: true }], timeline: [publishCanary] });
    const s = sim.findScaleSet('vmss-payments-eastus-1');
    const i = s?.instances[0];
    if (!s || !i) throw new Error('no instance');
    while (i.version !== '1.7.0' || i.health === 'unknown') sim.clock.advance(30_000);
    const reimagedAt = i.reimagedAt ?? 0;
    expect(i.health).toBe('healthy');
    expect(s.rolling?.code).toBe('RollingForward');
    sim.clock.advance(reimagedAt + 30 * M - 1 - sim.clock.nowMs());
    expect(i.health).toBe('healthy');
    sim.clock.advance(1);
    expect(i.health).toBe('unhealthy');
    sim.clock.advance(6 * H);
    expect(i.health).toBe('unhealthy');
  });

  it('a burn that starts during the rollout counts against maxUnhealthyUpgradedInstancePercent at the next batch check: Faulted, failed instances rolled back', () => {
    // Batches every 7 minutes (reimage 3m, settle 2m, pause 2m), each of 2 of 10. The first batch is reimaged at
    // +3m and burns at +13m: batch 2's check (+12m) sees 0 of 4, batch 3's (+19m) 2 of 6 = 33 % > 20 %.
    const sim = payments({ health: [{ version: '1.7.0', regions: ['eastus'], unhealthyPercent: 100, afterUpgrade: '10m' }, { version: '1.7.0', healthy: true }], timeline: [publishCanary] });
    sim.clock.advance(4 * H);
    for (const s of eastus(sim)) {
      expect(s.rolling?.code, s.name).toBe('Faulted');
      expect(s.rolling?.error?.code).toBe('MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade');
      expect(s.rolling?.batches).toBe(3);
      expect(s.rolling?.failed.size).toBe(2);
      // rollbackFailedInstancesOnPolicyBreach rolls back the failed instances only; batches 2 and 3 stay on 1.7.0
      const failed = s.instances.filter((i) => s.rolling?.failed.has(i.instanceId));
      expect(failed.map((i) => [i.version, i.health])).toEqual([['1.6.4', 'healthy'], ['1.6.4', 'healthy']]);
      expect(s.instances.filter((i) => i.version === '1.7.0')).toHaveLength(4);
    }
  });

  it("an outage on version '*' hits old and new instances alike, only in its window, and stops a rollout on the whole-set threshold", () => {
    const sim = payments({
      health: [{ version: '*', scaleSets: ['vmss-payments-westus3-1'], unhealthyPercent: 50, from: '2h', until: '3h' }],
      timeline: [],
    });
    const s = sim.findScaleSet('vmss-payments-westus3-1');
    if (!s) throw new Error('no set');
    sim.clock.advance(2 * H - M);
    expect(unhealthy(s)).toBe(0);
    sim.clock.advance(M);
    expect(unhealthy(s)).toBe(5);
    expect(unhealthy(sim.findScaleSet('vmss-payments-westus3-2') as ScaleSet)).toBe(0);
    sim.clock.advance(H);
    expect(unhealthy(s)).toBe(0);
  });

  it('an outage during a rollout: the next batch check finds the whole set over maxUnhealthyInstancePercent', () => {
    const sim = payments({
      health: [{ version: '*', scaleSets: ['vmss-payments-eastus-1'], unhealthyPercent: 50, from: '0s', until: '12h' }, { version: '1.7.0', healthy: true }],
      timeline: [publishCanary],
    });
    sim.clock.advance(4 * H);
    const s = sim.findScaleSet('vmss-payments-eastus-1');
    expect(s?.rolling?.code).toBe('Faulted');
    expect(s?.rolling?.error?.code).toBe('MaxUnhealthyInstancePercentExceededInRollingUpgrade');
    expect(sim.findScaleSet('vmss-payments-eastus-2')?.rolling?.code).toBe('Completed');
  });

  it("an instance being reimaged reports 'unknown' until its health settles", () => {
    const sim = payments({ health: [{ version: '1.7.0', healthy: true }], timeline: [publishCanary] });
    const s = sim.findScaleSet('vmss-payments-eastus-1');
    if (!s) throw new Error('no set');
    const states = new Set<string>();
    for (let t = 0; t < 3 * H; t += 30_000) {
      sim.clock.advance(30_000);
      for (const i of s.instances) if (i.state === 'updating') states.add(i.health);
    }
    expect([...states]).toEqual(['unknown']);
  });

  it('is deterministic for a seed, and another seed picks another share', () => {
    const run = (seed: number): string => {
      const sim = payments({ health: [{ version: '1.7.0', unhealthyPercent: 40, afterUpgrade: '30m' }, { version: '1.7.0', healthy: true }], timeline: [publishCanary] }, seed);
      sim.clock.advance(4 * H);
      return JSON.stringify(eastus(sim).map((s) => s.instances.map((i) => i.health)));
    };
    expect(run(7)).toBe(run(7));
    expect(run(7)).not.toBe(run(8));
  });
});
