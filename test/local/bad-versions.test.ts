/**
 * "Bad" in a rehearsal is what the fleet's health model says — not what the scenario expects Ringmaster to do — so
 * a wrongly demoted good version or a missed bad one shows in the blast radius.
 */
import { describe, expect, it } from 'vitest';
import { listScenarios, loadScenario } from '../../src/local/scenario';
import { brokenVersions } from '../../src/sim/behaviour';

const root = new URL('../..', import.meta.url).pathname;

describe('bad versions from the health model', () => {
  it.each([
    { rules: [{ version: '1.7.0', healthy: false }], bad: ['1.7.0'] },
    { rules: [{ version: '1.7.0', healthy: true }, { version: '1.7.0', healthy: false }], bad: [] }, // the first verdict wins
    { rules: [{ version: '1.7.0', regions: ['westus3'], healthy: false }, { version: '1.7.0', healthy: true }], bad: ['1.7.0'] }, // bad in one region
    { rules: [{ version: '1.7.0', unhealthyPercent: 40, afterUpgrade: '30m' }, { version: '1.7.0', healthy: true }], bad: ['1.7.0'] }, // a slow burn
    { rules: [{ version: '*', unhealthyPercent: 50 }], bad: [] }, // an outage of every version is no version's fault
    { rules: [{ version: '1.7.*', unhealthyProbability: 0.3 }], bad: ['1.7.0'] },
  ])('$rules → $bad', ({ rules, bad }) => {
    expect(brokenVersions(rules as never, ['1.6.4', '1.7.0'])).toEqual(bad);
  });

  it('the library: each scenario\'s bad versions are the ones its fleet breaks', () => {
    const bad = Object.fromEntries(listScenarios(root).map((s) => [s.name, loadScenario(s.name, root).bad]));
    expect(bad).toMatchObject({
      payments: ['payments-api@1.7.0'],
      'slow-burn': ['payments-api@1.7.0'],
      'supersede-while-breaching': ['payments-api@1.7.0'],
      'rebake-dropped-event': ['payments-api@1.7.0'],
      'supersede-in-canary': [], // the scenario makes 1.7.0 healthy
      'outage-mid-batch': [], // an outage of old and new alike
      'alert-in-canary': [], // demoted on an alert: the health model has nothing against 1.7.1
      'monthly-rebake': [],
    });
  });
});
