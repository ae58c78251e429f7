/**
 * Instance evidence end to end through the orchestrator (real durable-functions, local durable host): the
 * canary's rolling upgrades Completed, and in the soak 40 % of its upgraded instances turn unhealthy — the
 * next round reads the instances, demotes, and the early ring never opens.
 */
import { describe, expect, it } from 'vitest';
import { ORCHESTRATOR, type OrchestratorInput } from '../../src/app/release-orchestrator';
import { loadPlan, versionId } from '../core/factories';
import { durableRig } from './durable-rig';

const plan = loadPlan('payments.yaml');

describe('slow burn in the soak, through the orchestrator', () => {
  it('reads the canary\'s instances while it soaks and demotes on the burn; the next ring never opens', async () => {
    const { w, host, advance: step, status, at } = durableRig(plan);
    const advance = (minutes: number) => step(minutes * 60_000);
    const input: OrchestratorInput = { release: 'rel', versionId: versionId('1.7.0'), plan, idlePollMs: 5 * 60_000, retryMs: 60_000 };
    w.publish(versionId('1.7.0'));
    w.replicate(versionId('1.7.0'), 'eastus');
    host.start(ORCHESTRATOR, 'rel', input);
    await host.whenIdle();
    w.instances('eastus', '1.7.0', 10, 0);
    w.upgrade('eastus', 'Completed', at(60_000));
    await advance(5);
    expect(status().phase).toBe('soaking');
    w.instances('eastus', '1.7.0', 10, 4); // 30 minutes after upgrade: 4 of 10 upgraded instances unhealthy
    await advance(5);
    expect(status().phase).toBe('demoted');
    expect(status().demotion?.cause).toMatch(/instance evidence in vmss-eastus-\d \(eastus\): 4 of 10 instances on 1\.7\.0 unhealthy \(40 %\)/);
    expect(w.calls).toContain('demote');
    expect(w.calls.filter((c) => c.startsWith('setRegionalExclude:westus3=false'))).toEqual([]);
    host.close();
  });
});

describe('observations name the version they are about', () => {
  const run = async (target: string | undefined) => {
    const { w, host, advance, status, at } = durableRig(plan);
    const input: OrchestratorInput = { release: 'rel', versionId: versionId('1.7.0'), plan, idlePollMs: 5 * 60_000, retryMs: 60_000 };
    w.publish(versionId('1.7.0'));
    w.replicate(versionId('1.7.0'), 'eastus');
    host.start(ORCHESTRATOR, 'rel', input);
    await host.whenIdle();
    // The canary's sets complete an upgrade that started after eastus opened; OS upgrade history says to which version.
    for (const s of w.sets.filter((x) => x.region === 'eastus')) {
      w.upgradeSet({ scaleSetId: s.id, code: 'Completed', startTime: at(60_000), progress: { successful: 10, failed: 0, inProgress: 0, pending: 0 } }, target);
    }
    await advance(5 * 60_000);
    const canary = status().rings[0]!;
    host.close();
    return { phase: status().phase, upgraded: Object.keys(canary.upgraded), calls: w.calls };
  };

  it('an upgrade that rolls out another version (1.7.1) is not counted for 1.7.0: the canary is not "upgraded" on it', async () => {
    const other = await run('1.7.1');
    expect(other.upgraded).toEqual([]);
    expect(other.phase).toBe('upgrading');
    expect(other.calls.filter((c) => c === 'read:fleet.listOSUpgradeHistory')).toHaveLength(2);
    const own = await run('1.7.0');
    expect(own.upgraded).toEqual(['eastus']);
    expect(own.phase).toBe('soaking');
  });
});
