// Unknown keys in fleet and scenario files: an error names the path and suggests the nearest known key.
import { describe, expect, it } from 'vitest';
import { parseScenario, scenarioSpec } from '../../src/sim/fleet-spec';
import { nearestKey, unknownKeys } from '../../src/sim/spec-keys';

describe('unknownKeys', () => {
  const rows: { name: string; doc: unknown; lines: string[] }[] = [
    {
      name: 'a misspelt discriminator in a timeline action',
      doc: { timeline: [{ at: '1h', action: 'publishVersion', image: 'a', version: '1.0.0' }, { at: '2h', acton: 'makeUnhealthy', percent: 10 }] },
      lines: ['timeline[1].acton: unknown key; did you mean action?'],
    },
    {
      name: 'a misspelt key of a known action',
      doc: { timeline: [{ at: '2h', action: 'makeUnhealthy', percnt: 10 }] },
      lines: ['timeline[0].percnt: unknown key; did you mean percent?'],
    },
    { name: 'a health rule key', doc: { health: [{ version: '1.7.0', unhealthyPercnt: 40 }] }, lines: ['health[0].unhealthyPercnt: unknown key; did you mean unhealthyPercent?'] },
    { name: 'a top-level key', doc: { behavior: { reimageDuration: '3m' } }, lines: ['behavior: unknown key; did you mean behaviour?'] },
    { name: 'a nested behaviour key', doc: { behaviour: { replicationFailures: [{ version: '1.7.1', regoin: 'westus3' }] } }, lines: ['behaviour.replicationFailures[0].regoin: unknown key; did you mean region?'] },
    { name: 'a key with no near neighbour', doc: { health: [{ version: '1.7.0', colour: 'red' }] }, lines: ['health[0].colour: unknown key'] },
    { name: 'a target region object inside a string-or-object union', doc: { timeline: [{ at: 0, action: 'publishVersion', image: 'a', version: '1.0.0', targetRegions: ['eastus', { name: 'westus3', exclude: true }] }] }, lines: ['timeline[0].targetRegions[1].exclude: unknown key; did you mean excludeFromLatest?'] },
    { name: 'nothing unknown', doc: { seed: 3, health: [{ version: '*', unhealthyPercent: 5, from: '1h', until: '2h' }] }, lines: [] },
  ];
  for (const row of rows) {
    it(row.name, () => {
      expect(unknownKeys(scenarioSpec, row.doc).map((i) => i.line)).toEqual(row.lines);
    });
  }

  it('a path prefix is prepended (the scenario file nests the simulator block under sim)', () => {
    expect(unknownKeys(scenarioSpec, { timeline: [{}, {}, {}, { at: 0, acton: 'x' }] }, ['sim']).map((i) => i.line)).toEqual(['sim.timeline[3].acton: unknown key; did you mean action?']);
  });

  it('nearestKey: within two edits or a case change, else nothing', () => {
    expect(nearestKey('acton', ['at', 'action', 'scaleSet'])).toBe('action');
    expect(nearestKey('Seed', ['seed', 'health'])).toBe('seed');
    expect(nearestKey('colour', ['version', 'regions'])).toBeUndefined();
  });

  it('parseScenario reports unknown keys that way, before other problems', () => {
    expect(() => parseScenario({ timeline: [{ at: '1h', acton: 'makeUnhealthy' }] })).toThrow(/timeline\[0\]\.acton: unknown key; did you mean action\?/);
  });
});
