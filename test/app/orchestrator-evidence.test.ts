/**
 * Instance evidence end to end through the orchestrator (real durable-functions, local durable host): the
 * canary's rolling upgrades Completed, and in the soak 40 % of its upgraded instances turn unhealthy — the
 * next round reads the instances, demotes, and the early ring never opens.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOrchestrator } from 'durable-functions/lib/src/util/testingUtils';
import { describe, expect, it } from 'vitest';
import { executeCommand, observeRelease, recordLedger, type ExecuteInput, type ObserveInput } from '../../src/app/activities';
import { ACTIVITY, ORCHESTRATOR, releaseOrchestrator, type OrchestratorInput } from '../../src/app/release-orchestrator';
import type { ReleaseSummary } from '../../src/app/release-summary';
import { SteppedClock } from '../../src/local/clock';
import { DurableHost } from '../../src/local/durable-host';
import type { LedgerEntry } from '../../src/ledger/ledger';
import { loadPlan, versionId } from '../core/factories';
import { fakeWorld } from './fake-world';

const plan = loadPlan('payments.yaml');

describe('slow burn in the soak, through the orchestrator', () => {
  it('reads the canary\'s instances while it soaks and demotes on the burn; the next ring never opens', async () => {
    const w = fakeWorld(plan);
    let now = Date.parse('2026-11-02T09:00:00Z');
    const clock = new SteppedClock(() => new Date(now));
    const host = new DurableHost({ stateDir: mkdtempSync(join(tmpdir(), 'rm-evidence-')), clock });
    host.registerOrchestrator(ORCHESTRATOR, createOrchestrator(releaseOrchestrator as never) as never);
    host.registerActivity(ACTIVITY.observe, (i) => observeRelease(i as ObserveInput, w.ports));
    host.registerActivity(ACTIVITY.execute, (i) => executeCommand(i as ExecuteInput, w.ports));
    host.registerActivity(ACTIVITY.record, (i) => recordLedger(i as LedgerEntry[], w.ports));
    const advance = async (minutes: number) => {
      now += minutes * 60_000;
      do await host.whenIdle();
      while (clock.fireDue() > 0);
    };
    const input: OrchestratorInput = { release: 'rel', versionId: versionId('1.7.0'), plan, idlePollMs: 5 * 60_000, retryMs: 60_000 };
    w.publish(versionId('1.7.0'));
    w.replicate(versionId('1.7.0'), 'eastus');
    host.start(ORCHESTRATOR, 'rel', input);
    await host.whenIdle();
    w.instances('eastus', '1.7.0', 10, 0);
    w.upgrade('eastus', 'Completed', new Date(now + 60_000).toISOString());
    await advance(5);
    const status = () => host.get('rel')!.customStatus as ReleaseSummary;
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
