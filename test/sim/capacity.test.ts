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

  it('a scale set created mid-run: its instances start on the latest its region can see, a pinned one on its pin; the creation is a ResourceWriteSuccess', () => {
    const create = (at: string, name: string, region: string, extra: Record<string, unknown> = {}) => ({ at, action: 'createScaleSet', region, name, resourceGroup: 'rg-new-{region}', instances: 3, image: 'payments-api', ...extra });
    const sim = payments([
      { at: '1m', action: 'publishVersion', image: 'payments-api', version: '1.7.1', targetRegions: [{ name: 'eastus', excludeFromLatest: false }, { name: 'westus3', excludeFromLatest: true }] },
      create('2h', 'vmss-new-{region}', 'eastus'), // 1.7.1 replicated and latest there
      create('2h', 'vmss-new-{region}', 'westus3'), // excluded there: 1.6.4
      create('2h', 'vmss-pinned-{region}', 'eastus', { pinnedVersion: '1.6.4' }),
    ]);
    const events: string[] = [];
    sim.listeners.push((e) => events.push(`${e.eventType} ${e.subject.split('/').at(-1)}`));
    sim.clock.advance(2 * 60 * M + M);
    expect(versions(sim, 'vmss-new-eastus')).toEqual(['1.7.1', '1.7.1', '1.7.1']);
    expect(versions(sim, 'vmss-new-westus3')).toEqual(['1.6.4', '1.6.4', '1.6.4']);
    expect(versions(sim, 'vmss-pinned-eastus')).toEqual(['1.6.4', '1.6.4', '1.6.4']);
    expect(sim.findScaleSet('vmss-new-eastus')!.instances.every((i) => /^vmss-new-eastus_[0-9a-f]{8}$/.test(i.instanceId))).toBe(true);
    expect(events).toContain('Microsoft.Resources.ResourceWriteSuccess vmss-new-westus3');
    expect(sim.timeline.filter((t) => t.status !== 'done')).toEqual([]);
  });

  it('a scale set that exists already, or of an image the gallery lacks, is a SpecError naming it', () => {
    const twice = payments([{ at: '1m', action: 'createScaleSet', region: 'eastus', name: 'vmss-payments-eastus-1', resourceGroup: 'rg-payments-eastus', instances: 1, image: 'payments-api' }]);
    twice.clock.advance(2 * M);
    expect(twice.timeline[0]).toMatchObject({ status: 'failed', error: expect.stringContaining('rg-payments-eastus/vmss-payments-eastus-1 exists already') });
  });
});

