/**
 * Scale-out and scale-in in the timeline. Azure creates scale-out instances from the set's image reference: a set
 * that tracks latest gets the latest version its region can see at that moment (not one excluded there, not one
 * still replicating), a pinned set its pinned version. Scale-in removes the newest instances.
 */
import { describe, expect, it } from 'vitest';
import { loadFleetFile, mergeScenario, parseScenario } from '../../src/sim/fleet-spec';
import { Simulation } from '../../src/sim/simulation';

const fleetPath = new URL('../../examples/fleets/payments.yaml', import.meta.url).pathname;
const M = 60_000;

function payments(timeline: unknown[]): Simulation {
  return new Simulation(mergeScenario(loadFleetFile(fleetPath), parseScenario({ timeline })), { manualClock: true });
}

const versions = (sim: Simulation, name: string) => sim.findScaleSet(name)!.instances.map((i) => i.version);

describe('scale-out and scale-in', () => {
  it('new instances take the latest version their region can see; a demoted one is not it', () => {
    const sim = payments([
      { at: '1m', action: 'publishVersion', image: 'payments-api', version: '1.7.1', targetRegions: [{ name: 'eastus', excludeFromLatest: false }, { name: 'westus3', excludeFromLatest: true }] },
      { at: '2m', action: 'scaleOut', scaleSet: 'vmss-payments-eastus-2', count: 2 }, // still replicating: 1.6.4
      { at: '2h', action: 'scaleOut', scaleSet: 'vmss-payments-eastus-2', count: 2 }, // replicated, latest in eastus: 1.7.1
      { at: '2h', action: 'scaleOut', scaleSet: 'vmss-payments-westus3-2', count: 2 }, // excluded in westus3: 1.6.4
      // Demoted where it was open (the region's own flag wins over the version's, as Azure resolves it).
      { at: '3h', action: 'setExcludeFromLatest', image: 'payments-api', version: '1.7.1', value: true, region: 'eastus' },
      { at: '3h1m', action: 'scaleOut', scaleSet: 'vmss-payments-eastus-2', count: 1 }, // demoted: 1.6.4 again
      { at: '4h', action: 'scaleIn', scaleSet: 'vmss-payments-eastus-2', count: 1 },
    ]);
    sim.clock.advance(3 * M);
    expect(versions(sim, 'vmss-payments-eastus-2').slice(10)).toEqual(['1.6.4', '1.6.4']);
    sim.clock.advance(2 * 60 * M);
    expect(versions(sim, 'vmss-payments-eastus-2').slice(12)).toEqual(['1.7.1', '1.7.1']);
    expect(versions(sim, 'vmss-payments-westus3-2').slice(10)).toEqual(['1.6.4', '1.6.4']);
    sim.clock.advance(62 * M);
    expect(versions(sim, 'vmss-payments-eastus-2').slice(14)).toEqual(['1.6.4']);
    sim.clock.advance(60 * M);
    expect(sim.findScaleSet('vmss-payments-eastus-2')!.instances).toHaveLength(14);
    expect(sim.timeline.filter((t) => t.status !== 'done')).toEqual([]);
  });
});
