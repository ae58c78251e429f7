/**
 * Timeline entries that wait for the fleet (`when: { upgradeStarts }`): they run `at` after the first rolling
 * upgrade to that version starts in that region, whoever started it, once, and never when it never starts.
 */
import { describe, expect, it } from 'vitest';
import { loadFleetFile, mergeScenario, parseScenario } from '../../src/sim/fleet-spec';
import { Simulation } from '../../src/sim/simulation';

const fleetPath = new URL('../../examples/fleets/payments.yaml', import.meta.url).pathname;
const minutes = (m: number) => m * 60_000;

function payments(timeline: unknown[]): Simulation {
  return new Simulation(mergeScenario(loadFleetFile(fleetPath), parseScenario({ timeline })), { manualClock: true });
}

/** When the first rolling upgrade to `version` started in `region`, simulated ms. */
function firstStart(sim: Simulation, version: string, region: string): number | undefined {
  const starts = [...sim.state.scaleSets.values()].filter((s) => s.location === region).flatMap((s) => s.history.filter((ru) => ru.targetVersion === version).map((ru) => ru.startTime));
  return starts.length ? Math.min(...starts) : undefined;
}

describe('timeline entries triggered by the fleet', () => {
  it('publishes 1.7.1 two minutes after 1.7.0 first starts upgrading in westus3, and only then', () => {
    const sim = payments([
      { at: '10m', action: 'publishVersion', image: 'payments-api', version: '1.7.0' },
      { at: '2m', when: { upgradeStarts: { version: '1.7.0', region: 'westus3' } }, action: 'publishVersion', image: 'payments-api', version: '1.7.1' },
    ]);
    const entry = sim.timeline[1]!;
    expect(entry.at).toBeUndefined();
    sim.clock.advance(minutes(8 * 60));
    const started = firstStart(sim, '1.7.0', 'westus3');
    expect(started).toBeDefined();
    expect(entry).toMatchObject({ status: 'done', at: started! + minutes(2) });
    // The platform started eastus's upgrade first (its replica completes first): that did not fire it.
    expect(firstStart(sim, '1.7.0', 'eastus')).toBeLessThan(started!);
  });

  it('never runs when the version never starts upgrading there', () => {
    const sim = payments([{ at: '0s', when: { upgradeStarts: { version: '1.9.9', region: 'eastus' } }, action: 'publishVersion', image: 'payments-api', version: '1.7.1' }]);
    sim.clock.advance(minutes(6 * 60));
    expect(sim.timeline[0]).toMatchObject({ status: 'pending', at: undefined });
  });

  it('refuses a trigger on a fault with a window, and a misspelt trigger, naming the path', () => {
    expect(() => parseScenario({ timeline: [{ at: '1m', until: '10m', when: { upgradeStarts: { version: '1.7.0', region: 'eastus' } }, action: 'armFault', kind: 'error', status: 500 }] })).toThrow(
      /timeline\[0\]\.when: a fault with a window/,
    );
    expect(() => parseScenario({ timeline: [{ at: '1m', when: { upgradeStart: { version: '1.7.0', region: 'eastus' } }, action: 'startOSUpgrade', scaleSet: 'x' }] })).toThrow(/timeline\[0\]\.when/);
  });
});
