/**
 * Alerts gate only when the plan names them. Any other alert — another team's CPU rule on a scale set in an
 * open region, or the deployed activity-log alert on any failed osRollingUpgrade — is evidence to look again
 * at ARM, never a breach by itself.
 */
import { describe, expect, it } from 'vitest';
import { decide, type ReleaseEvent } from '../../src/core';
import { newRelease, paymentsFleet, planWith, published, replicated, run, scaleSetId, T0, versionId } from './factories';

const fired = (rule: string, set = 'vmss-eastus-1'): ReleaseEvent => ({ kind: 'alert', alertRule: rule, state: 'fired', targetResourceIds: [scaleSetId(set)] });

function upgrading(alerts: string[]) {
  const plan = planWith({ health: { maxUnhealthyUpgradedInstancePercent: 20, alerts } });
  return run(newRelease(plan, versionId('1.7.1'), T0), [paymentsFleet(plan), published('1.7.1', plan.rings.flatMap((r) => r.regions)), replicated('1.7.1', 'eastus')], T0).state;
}

describe('alerts', () => {
  it('an alert rule the plan does not name, on a scale set in an open region: evidence only, no demotion', () => {
    const d = decide(upgrading(['payments-5xx']), fired('cpu-high-unrelated-team-b'), T0);
    expect(d.state.phase).toBe('upgrading');
    expect(d.commands.map((c) => c.kind)).not.toContain('demote-version');
    expect(d.cause).toMatch(/not a gate of this plan/);
    expect(d.state.alertsFiring).toEqual([]);
  });

  it('the deployed activity-log alert (any failed OS rolling upgrade) is not a breach by itself', () => {
    const d = decide(upgrading([]), fired('ringmaster-osupgrade-failed-prod'), T0);
    expect(d.state.phase).toBe('upgrading');
  });

  it('a rule the plan names demotes while the version rolls out (by name or by the last segment of its id)', () => {
    expect(decide(upgrading(['payments-5xx']), fired('payments-5xx'), T0).state.phase).toBe('demoted');
    const byId = `/subscriptions/s/resourceGroups/rg/providers/Microsoft.Insights/metricAlerts/payments-5xx`;
    expect(decide(upgrading(['payments-5xx']), fired(byId), T0).state.phase).toBe('demoted');
  });
});
