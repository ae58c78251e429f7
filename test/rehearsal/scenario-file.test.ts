/** Scenario files in process: the sim block is the simulator's strict format, and what expectedToFail means. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { simScenario } from '../../src/local/rehearsal';
import { exitCodeOf, listScenarios, loadScenario, ScenarioError, verdictOf } from '../../src/local/scenario';

const root = join(__dirname, '../..');
function write(body: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'rm-scenario-')), 's.yaml');
  const plan = /^plan:/m.test(body) ? '' : `plan: ${join(root, 'examples/payments.yaml')}\n`;
  writeFileSync(file, `name: s\nfleet: ${join(root, 'examples/fleets/payments.yaml')}\n${plan}${body}\n${/^expect:/m.test(body) ? '' : 'expect:\n  releases: []\n'}`);
  return file;
}

describe('rebakes in Azure alone', () => {
  it('run the template of every plan that rebakes, not the first plan\'s only', () => {
    const s = loadScenario('two-images', root);
    const [a, b] = s.plans;
    const template = (name: string) => `/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-images/providers/Microsoft.VirtualMachineImages/imageTemplates/${name}`;
    const both = { ...s, rebakeAt: ['1h'], plans: [{ ...a!, plan: { ...a!.plan, rebake: { schedule: '0 0 3 1 * *', imageTemplate: template('payments-api') } } }, { ...b!, plan: { ...b!.plan, rebake: { schedule: '0 0 3 1 * *', imageTemplate: template('web-frontend') } } }] };
    const runs = (simScenario(both, 'baseline').timeline ?? []).filter((t) => t.action === 'runImageTemplate');
    expect(runs.map((r) => (r as { template: string }).template)).toEqual(['payments-api', 'web-frontend']);
    expect((simScenario(both, 'controlled').timeline ?? []).filter((t) => t.action === 'runImageTemplate')).toEqual([]); // the app's own timer runs them
  });
});

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

  it('several plans: every publication, operator action and expectation names its image; one plan: the plan\'s', () => {
    const one = loadScenario(write('publish:\n  - { at: 10m, version: 1.7.0 }'), root);
    expect(one.publish[0]).toMatchObject({ version: '1.7.0', image: 'payments-api' });
    const two = `plan: [${join(root, 'examples/payments.yaml')}, ${join(root, 'examples/plans/web-frontend.yaml')}]`;
    expect(() => loadScenario(write(`${two}\npublish:\n  - { at: 10m, version: 1.7.0 }`), root)).toThrow(/publish\[0\]\.image: required when the scenario has several plans \(payments-api, web-frontend\)/);
    expect(() => loadScenario(write(`${two}\npublish:\n  - { at: 10m, version: 1.7.0, image: web }`), root)).toThrow(/publish\[0\]\.image: web is not the image of a plan of this scenario/);
    const s = loadScenario(write(`${two}\npublish:\n  - { at: 10m, version: 1.7.0, image: web-frontend }\nexpect:\n  releases:\n    - { version: 1.7.0, image: web-frontend, finalState: completed }`), root);
    expect(s.plans.map((p) => p.image)).toEqual(['payments-api', 'web-frontend']);
    expect(s.expect.releases[0]).toMatchObject({ image: 'web-frontend', version: '1.7.0' });
  });

  it('a plan that is missing or invalid is a ScenarioError naming it', () => {
    expect(() => loadScenario(write('plan: nowhere.yaml'), root)).toThrow(/its plan .*nowhere\.yaml is not valid:\n {2}.*cannot read the file/);
  });

  it('a fleet file that is missing is a ScenarioError naming it', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'rm-scenario-')), 's.yaml');
    writeFileSync(file, `name: s\nfleet: nowhere.yaml\nplan: ${join(root, 'examples/payments.yaml')}\nexpect:\n  releases: []\n`);
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
