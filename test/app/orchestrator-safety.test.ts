/**
 * Safety before bookkeeping, under the real durable-functions library and the local durable host:
 * a ledger outage never fails a release or delays its demotion, and a throttled demote is retried after
 * ARM's Retry-After while "demoted" waits until ARM accepted the write.
 */
import { describe, expect, it } from 'vitest';
import { ORCHESTRATOR, SIGNAL, type OrchestratorInput } from '../../src/app/release-orchestrator';
import { Throttled } from '../../src/azure/errors';
import { loadPlan, versionId } from '../core/factories';
import { durableRig } from './durable-rig';

const plan = loadPlan('payments.yaml');
const BREACH = 'MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade';

function setup() {
  const rig = durableRig(plan);
  const input: OrchestratorInput = { release: 'rel', versionId: versionId('1.7.0'), plan, idlePollMs: 600_000, retryMs: 60_000 };
  return { ...rig, input, status: () => rig.status() };
}

describe('safety before bookkeeping', () => {
  it('a ledger outage right after the canary opens: demoted in the same round, the release does not fail, every row written once storage is back', async () => {
    const { w, host, input, advance, at, status } = setup();
    w.publish(versionId('1.7.0'));
    w.replicate(versionId('1.7.0'), 'eastus');
    host.start(ORCHESTRATOR, 'rel', input);
    await host.whenIdle();
    expect(status().phase).toBe('upgrading');
    const append = w.ledger.append.bind(w.ledger);
    let down = true;
    w.ledger.append = async (rows) => {
      if (down) throw new Error('connect ECONNREFUSED 127.0.0.1:10002');
      return append(rows);
    };
    await advance(10 * 60_000);
    w.upgrade('eastus', 'Faulted', at(-60_000), BREACH);
    host.raiseEvent('rel', SIGNAL, { kind: 'wake-up' });
    await host.whenIdle();
    expect(host.get('rel')!.status).toBe('Running');
    expect(status().phase).toBe('demoted');
    expect(w.calls).toContain('demote');
    const before = (await w.ledger.list('rel')).length;
    await advance(60_000); // still down: retried, still running
    expect(host.get('rel')!.status).toBe('Running');
    down = false;
    await advance(60_000);
    expect(host.get('rel')!.status).toBe('Completed');
    const rows = await w.ledger.list('rel');
    expect(rows.map((r) => r.sequence)).toEqual(rows.map((_, i) => i));
    expect(rows.length).toBeGreaterThan(before);
    expect(rows.some((r) => r.kind === 'command' && r.payload && (r.payload as { kind: string }).kind === 'demote-version')).toBe(true);
    expect(rows.some((r) => /the ledger was unavailable from/.test(r.cause))).toBe(true);
    host.close();
  });

  it('a demote throttled with Retry-After 120 s: retried after ≥ 120 s, and "demoted" only once ARM accepted it', async () => {
    const { w, host, input, advance, at, status, now } = setup();
    w.publish(versionId('1.7.0'));
    w.replicate(versionId('1.7.0'), 'eastus');
    host.start(ORCHESTRATOR, 'rel', input);
    await host.whenIdle();
    const attempts: number[] = [];
    const acceptAfter = now() + 15 * 60_000;
    const demote = w.azure.gallery.demote;
    w.azure.gallery.demote = async (id, options) => {
      attempts.push(now());
      if (now() < acceptAfter) throw new Throttled('ARM throttled the write (429)', 120_000);
      return demote(id, options);
    };
    await advance(10 * 60_000);
    w.upgrade('eastus', 'Faulted', at(-60_000), BREACH);
    host.raiseEvent('rel', SIGNAL, { kind: 'wake-up' });
    await host.whenIdle();
    expect(status().phase).toBe('demoted');
    expect(w.notices.filter((n) => n.notice === 'demoted')).toEqual([]);
    for (let i = 0; i < 12; i++) await advance(30_000);
    const gaps = attempts.slice(1).map((t, i) => t - attempts[i]!);
    expect(gaps.length).toBeGreaterThan(0);
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(120_000);
    const accepted = attempts.at(-1)!;
    expect(accepted).toBeGreaterThanOrEqual(acceptAfter);
    const demotedNotices = w.notices.filter((n) => n.notice === 'demoted');
    expect(demotedNotices.length).toBeGreaterThan(0);
    const rows = await w.ledger.list('rel');
    const firstNotice = rows.find((r) => r.kind === 'notice' && (r.payload as { notice?: string; delivered?: boolean }).notice === 'demoted' && (r.payload as { delivered?: boolean }).delivered);
    expect(Date.parse(firstNotice!.at)).toBeGreaterThanOrEqual(accepted);
    expect(rows.some((r) => r.kind === 'notice' && /demoted held until ARM accepts demote-version .*retrying after 120 s/.test(r.cause))).toBe(true);
    // While the write is retried, the routes of "demoted" are told what is true, once: demoting, not demoted.
    const demoting = w.notices.filter((n) => n.notice === 'demoting');
    expect(demoting.map((n) => n.channel).sort()).toEqual(['slack', 'teams']);
    expect(demoting[0]!.facts.reason).toMatch(/demoting: ARM has not accepted the write yet .*retrying after 120 s/);
    expect(w.notices.findIndex((n) => n.notice === 'demoting')).toBeLessThan(w.notices.findIndex((n) => n.notice === 'demoted'));
    host.close();
  });

  it('a release started again (after it failed) continues its ledger numbering: no earlier row is rewritten', async () => {
    const first = setup();
    first.w.publish(versionId('1.7.0'));
    first.host.start(ORCHESTRATOR, 'rel', first.input);
    await first.host.whenIdle();
    first.host.close();
    const before = await first.w.ledger.list('rel');
    expect(before.length).toBeGreaterThan(0);
    // A new instance of the same release (what the router does for a Failed one), on the same ledger.
    const { host } = durableRig(plan, { world: first.w, start: '2026-11-02T10:00:00Z' });
    host.start(ORCHESTRATOR, 'rel', first.input);
    await host.whenIdle();
    expect(host.get('rel')!.status).toBe('Running');
    const after = await first.w.ledger.list('rel');
    expect(JSON.stringify(after.slice(0, before.length))).toBe(JSON.stringify(before));
    expect(after.length).toBeGreaterThan(before.length);
    expect(after.map((r) => r.sequence)).toEqual(after.map((_, i) => i));
    host.close();
  });
});
