/**
 * Faults written in a scenario's timeline (`armFault`, `eventFault`), each with a window: active from `at`
 * until `until`, on the virtual clock, and refused with the field named when the window or a key is wrong.
 */
import { describe, expect, it } from 'vitest';
import { loadFleetFile, mergeScenario, parseScenario } from '../../src/sim/fleet-spec';
import { Simulation } from '../../src/sim/simulation';

const fleetPath = new URL('../../examples/fleets/payments.yaml', import.meta.url).pathname;

function payments(timeline: unknown[]): Simulation {
  return new Simulation(mergeScenario(loadFleetFile(fleetPath), parseScenario({ timeline })), { manualClock: true });
}

const minutes = (m: number) => m * 60_000;

describe('faults in the scenario timeline', () => {
  it('an ARM fault is active inside its window only', () => {
    const sim = payments([{ at: '10m', until: '20m', action: 'armFault', operation: 'GalleryImageVersions_Update', kind: 'throttle', retryAfterSeconds: 120 }]);
    const failure = () => sim.faults.forOperation('GalleryImageVersions_Update').failure;
    sim.clock.advance(minutes(5));
    expect(failure()).toBeUndefined();
    sim.clock.advance(minutes(10));
    expect(failure()).toMatchObject({ kind: 'throttle', retryAfterSeconds: 120 });
    expect(sim.faults.forOperation('VirtualMachineScaleSets_Get').failure).toBeUndefined();
    sim.clock.advance(minutes(10));
    expect(failure()).toBeUndefined();
  });

  it('an event fault with no end stays; a reordered event carries its delay', () => {
    const sim = payments([{ at: '1m', action: 'eventFault', eventType: 'Microsoft.Resources.ResourceWriteSuccess', kind: 'reorder', delaySeconds: 300 }]);
    expect(sim.faults.forEvent('Microsoft.Resources.ResourceWriteSuccess')).toBeUndefined();
    sim.clock.advance(minutes(2));
    expect(sim.faults.forEvent('Microsoft.Resources.ResourceWriteSuccess')).toMatchObject({ kind: 'reorder', delaySeconds: 300 });
    expect(sim.faults.forEvent('Microsoft.Resources.ResourceActionFailure')).toBeUndefined();
  });

  it('refuses a window that ends before it starts, and a misspelt key, naming them', () => {
    expect(() => parseScenario({ timeline: [{ at: '20m', until: '10m', action: 'armFault', kind: 'error', status: 500 }] })).toThrow(/timeline\[0\]\.until: a fault's window must end after it starts/);
    expect(() => parseScenario({ timeline: [{ at: '1m', action: 'armFault', kind: 'throttle', retryAfter: 120 }] })).toThrow(/retryAfter.*retryAfterSeconds/s);
  });
});
