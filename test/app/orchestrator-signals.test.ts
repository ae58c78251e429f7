/**
 * No signal is lost: an operator's signal raised at any point of a round — before, during and after each
 * activity, while notices are in flight, during the timer, in the round that continues as new — is acted
 * on exactly once. Runs the real durable-functions library (its TaskOrchestrationExecutor hands an event
 * to the most recently yielded open `waitForExternalEvent`, and buffers it when none is open) under the
 * local durable host.
 */
import { describe, expect, it } from 'vitest';
import { ORCHESTRATOR, SIGNAL, type OrchestratorInput } from '../../src/app/release-orchestrator';
import type { ReleaseSummary } from '../../src/app/release-summary';
import { loadPlan, versionId } from '../core/factories';
import { durableRig, type ActivityPoint } from './durable-rig';

const plan = loadPlan('payments.yaml');
type Point = ActivityPoint;

/** Where the probe signal is raised: during the n-th call of an activity kind, or while the release idles. */
type Probe = { during: Point; call: number } | { idleAfterStep: number };

const probe = { kind: 'operator', action: 'pause', actor: 'probe@contoso.com', reason: 'probe' } as const;

async function run(at: Probe, roundsPerGeneration: number) {
  const calls: Record<Point, number> = { observe: 0, execute: 0, notice: 0, record: 0 };
  const rig = durableRig(plan, {
    around: (point) => {
      calls[point]++;
      if ('during' in at && at.during === point && at.call === calls[point]) rig.host.raiseEvent('rel', SIGNAL, probe);
    },
  });
  const { w, host } = rig;
  const input: OrchestratorInput = { release: 'rel', versionId: versionId('1.7.1'), plan, idlePollMs: 600_000, retryMs: 60_000, roundsPerGeneration };
  const idle = async (step: number) => {
    await host.whenIdle();
    if ('idleAfterStep' in at && at.idleAfterStep === step) {
      host.raiseEvent('rel', SIGNAL, probe);
      await host.whenIdle();
    }
  };
  const advance = (minutes: number) => rig.advance(minutes * 60_000);

  w.publish(versionId('1.7.1'));
  w.replicate(versionId('1.7.1'), 'eastus');
  host.start(ORCHESTRATOR, 'rel', input); // round: observe, open the canary, notices, record
  await idle(0);
  w.upgrade('eastus', 'Completed', rig.at(5 * 60_000));
  await advance(10); // round: observe, soaking, record
  await idle(1);
  w.replicate(versionId('1.7.1'), 'westus3');
  await advance(31); // round: observe, soak over, open the early ring, notices, record
  await idle(2);
  await advance(10);
  await idle(3);
  host.close();

  const rec = host.get('rel')!;
  if (!rec.customStatus) throw new Error(`no custom status: ${rec.status} ${rec.error ?? ''} ${JSON.stringify({ a: rec.pendingActivities.map((x) => x.name), t: rec.pendingTimers, g: rec.generation, h: rec.history.map((e) => e.EventType) })}`);
  const ledger = await w.ledger.list('rel');
  const probes = ledger.filter((e) => (e.payload as { reason?: string } | null)?.reason === 'probe');
  return { phase: (host.get('rel')!.customStatus as ReleaseSummary).phase, probes: probes.map((e) => e.cause), calls };
}

const probes: { name: string; at: Probe }[] = [
  { name: 'during the first observe', at: { during: 'observe', call: 1 } },
  { name: 'during the first safety command', at: { during: 'execute', call: 1 } },
  { name: 'while the first notices are in flight', at: { during: 'notice', call: 1 } },
  { name: 'during the first ledger write', at: { during: 'record', call: 1 } },
  { name: 'during the timer after the first round', at: { idleAfterStep: 0 } },
  { name: 'during the second observe (after a timer won)', at: { during: 'observe', call: 2 } },
  { name: 'during the second ledger write', at: { during: 'record', call: 2 } },
  { name: 'during the timer in the soak', at: { idleAfterStep: 1 } },
  { name: 'during the third observe', at: { during: 'observe', call: 3 } },
  { name: 'during the safety command that opens the next ring', at: { during: 'execute', call: 2 } },
  { name: 'while the next ring\'s notices are in flight', at: { during: 'notice', call: 3 } },
  { name: 'during the third ledger write', at: { during: 'record', call: 3 } },
];

describe('a signal raised at any point of a round is acted on exactly once', () => {
  for (const generation of [25, 1]) {
    describe(generation === 1 ? 'continuing as new after every round' : 'within one generation', () => {
      for (const p of probes) {
        it(p.name, async () => {
          const r = await run(p.at, generation);
          expect(r.probes, `ledger rows for the probe (calls: ${JSON.stringify(r.calls)})`).toEqual(['paused by probe@contoso.com (probe)']);
          expect(r.phase).toBe('paused');
        });
      }
    });
  }
});
