/**
 * Drive mode under the real durable-functions library and the local durable host: a canary region of 60 scale
 * sets. One set goes first; once its first batch is healthy the other 59 start, START_BATCH per activity, and a
 * signal that arrives while they are being sent is acted on before any more start.
 */
import { describe, expect, it } from 'vitest';
import { ORCHESTRATOR, SIGNAL, START_BATCH, type OrchestratorInput } from '../../src/app/release-orchestrator';
import { planWith, versionId } from '../core/factories';
import { durableRig, type ActivityPoint } from './durable-rig';
import { fakeWorld } from './fake-world';

const plan = planWith({ drive: 'on' });
const SETS = 60;
const starts = (calls: string[]) => calls.filter((c) => c.startsWith('startOsUpgrade:'));

function setup(around?: (point: ActivityPoint) => void) {
  const world = fakeWorld(plan, 10, SETS);
  const rig = durableRig(plan, { world, ...(around ? { around } : {}) });
  const input: OrchestratorInput = { release: 'rel', versionId: versionId('1.7.1'), plan, idlePollMs: 600_000, retryMs: 60_000 };
  const canary = world.sets.filter((s) => s.region === plan.rings[0]!.regions[0]);
  return { ...rig, input, canary };
}

describe('drive mode in the orchestrator', () => {
  it('starts one set, then the other 59 in activities of START_BATCH once its first batch is healthy', async () => {
    const { w, host, input, advance, at, canary } = setup();
    w.publish(versionId('1.7.1'));
    w.replicate(versionId('1.7.1'), canary[0]!.region);
    host.start(ORCHESTRATOR, 'rel', input);
    await host.whenIdle();
    expect(starts(w.calls)).toHaveLength(1);
    const first = starts(w.calls)[0]!.split(':')[1]!;
    const oneBox = canary.find((s) => s.id.endsWith(`/${first}`))!;
    w.upgradeSet({ scaleSetId: oneBox.id, code: 'RollingForward', startTime: at(), progress: { successful: 2, failed: 0, inProgress: 2, pending: 6 } });
    host.raiseEvent('rel', SIGNAL, { kind: 'wake-up' });
    await advance(60_000);
    expect(starts(w.calls)).toHaveLength(SETS);
    expect(new Set(starts(w.calls)).size).toBe(SETS);
    const rows = await w.ledger.list('rel');
    expect(rows.filter((r) => r.kind === 'result' && (r.payload as { kind?: string }).kind === 'start-os-upgrade')).toHaveLength(SETS);
    host.close();
  });

  it('a demote sent while the first activity of starts runs: the rest are never sent, the version is demoted', async () => {
    let armed = false;
    let raise: () => void = () => {};
    const { w, host, input, advance, at, canary } = setup((point) => {
      if (point === 'execute' && armed) {
        armed = false;
        raise();
      }
    });
    raise = () => host.raiseEvent('rel', SIGNAL, { kind: 'operator', action: 'demote', actor: 'oncall@contoso.com', reason: 'bad build' });
    w.publish(versionId('1.7.1'));
    w.replicate(versionId('1.7.1'), canary[0]!.region);
    host.start(ORCHESTRATOR, 'rel', input);
    await host.whenIdle();
    const oneBox = canary.find((s) => s.id.endsWith(`/${starts(w.calls)[0]!.split(':')[1]}`))!;
    w.upgradeSet({ scaleSetId: oneBox.id, code: 'RollingForward', startTime: at(), progress: { successful: 2, failed: 0, inProgress: 2, pending: 6 } });
    armed = true;
    host.raiseEvent('rel', SIGNAL, { kind: 'wake-up' });
    await advance(60_000);
    await advance(60_000);
    expect(w.calls).toContain('demote');
    expect(starts(w.calls)).toHaveLength(1 + START_BATCH);
    const rows = await w.ledger.list('rel');
    expect(rows.some((r) => /upgrade starts deferred to the next round: a signal arrived first/.test(r.cause))).toBe(true);
    expect(rows.some((r) => /upgrade starts not sent: the release is demoted/.test(r.cause))).toBe(true);
    host.close();
  });
});
