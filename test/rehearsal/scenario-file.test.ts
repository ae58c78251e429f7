/** Scenario files in process: the sim block is the simulator's strict format, and what expectedToFail means. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exitCodeOf, listScenarios, loadScenario, ScenarioError, verdictOf } from '../../src/local/scenario';

const root = join(__dirname, '../..');
function write(body: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'rm-scenario-')), 's.yaml');
  writeFileSync(file, `name: s\nfleet: ${join(root, 'examples/fleets/payments.yaml')}\nplan: p.yaml\n${body}\nexpect:\n  releases: []\n`);
  return file;
}

describe('scenario files', () => {
  it('the sim block is parsed by the simulator spec (durations and health rules checked, defaults applied)', () => {
    const s = loadScenario(write('sim:\n  health:\n    - { unhealthyPercent: 40, afterUpgrade: 30m }'), root);
    expect(s.sim?.health).toEqual([{ version: '*', unhealthyPercent: 40, afterUpgrade: '30m' }]);
    expect(() => loadScenario(write('sim:\n  behaviour: { reimageDuration: soon }'), root)).toThrow(/sim\.behaviour\.reimageDuration: /);
  });

  it('an operator action names a phase or a time, not both', () => {
    expect(() => loadScenario(write('operator:\n  - { version: 1.7.1, when: upgrading, at: 30m, action: demote }'), root)).toThrow(/operator\[0\]: an operator action names exactly one of when \(a phase\) or at/);
    expect(loadScenario(write('operator:\n  - { version: 1.7.1, at: 30m, action: demote }'), root).operator[0]).toMatchObject({ at: '30m', action: 'demote' });
  });

  it('a fleet file that is missing is a ScenarioError naming it', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'rm-scenario-')), 's.yaml');
    writeFileSync(file, 'name: s\nfleet: nowhere.yaml\nplan: p.yaml\nexpect:\n  releases: []\n');
    expect(() => loadScenario(file, root)).toThrow(ScenarioError);
    expect(() => loadScenario(file, root)).toThrow(/its fleet .*nowhere\.yaml cannot be used/);
  });

  it('every problem is a ScenarioError (exit 2 in the CLI), unknown keys first with a suggestion', () => {
    const file = write('sim:\n  seed: x\n  timelne: []');
    expect(() => loadScenario(file, root)).toThrow(ScenarioError);
    expect(() => loadScenario(file, root)).toThrow(/\n {2}sim\.timelne: unknown key; did you mean timeline\?\n {2}sim\.seed: /);
  });

  const verdicts = [
    { name: 'no marker, passed', marker: undefined, outcome: 'passed' as const, kind: 'passed', exit: 0 },
    { name: 'no marker, failed', marker: undefined, outcome: 'failed' as const, kind: 'failed', exit: 1 },
    { name: 'marked, failed as expected', marker: 'Judge on evidence', outcome: 'failed' as const, kind: 'failed-as-expected', exit: 0 },
    { name: 'marked, passed: remove the marker', marker: 'Judge on evidence', outcome: 'passed' as const, kind: 'unexpectedly-passed', exit: 1 },
  ];
  for (const v of verdicts) {
    it(`verdict: ${v.name}`, () => {
      const verdict = verdictOf({ expectedToFail: v.marker }, v.outcome);
      expect(verdict.kind).toBe(v.kind);
      expect(exitCodeOf(verdict)).toBe(v.exit);
    });
  }

  it('the library loads, every scenario valid, with a one-line description', () => {
    const library = listScenarios(root);
    expect(library.map((s) => s.name)).toContain('payments');
    for (const s of library) expect(s.description, s.name).toMatch(/^[^\n]{10,}$/);
  });
});
