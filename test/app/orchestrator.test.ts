/**
 * The release orchestrator under the real durable-functions library, driven by the local durable host
 * (Durable Task history persisted and replayed), against an in-memory world.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOrchestrator } from 'durable-functions/lib/src/util/testingUtils';
import { describe, expect, it } from 'vitest';
import { releaseActivities } from '../../src/app/activities';
import { ACTIVITY, ORCHESTRATOR, releaseOrchestrator, SIGNAL, upgradeReads, type OrchestratorInput } from '../../src/app/release-orchestrator';
import type { ReleasePorts } from '../../src/app/ports';
import type { ReleaseSummary } from '../../src/app/release-summary';
import { SteppedClock } from '../../src/local/clock';
import { DurableHost } from '../../src/local/durable-host';
import { loadPlan, versionId } from '../core/factories';
import { fakeWorld } from './fake-world';

const plan = loadPlan('payments.yaml');

function harness(dir: string, ports: ReleasePorts, clock: SteppedClock) {
  const host = new DurableHost({ stateDir: dir, clock });
  host.registerOrchestrator(ORCHESTRATOR, createOrchestrator(releaseOrchestrator as never) as never);
  for (const [name, handler] of Object.entries(releaseActivities(() => ports))) host.registerActivity(name, handler);
  return host;
}

function world() {
  let now = Date.parse('2026-11-02T09:00:00Z');
  const clock = new SteppedClock(() => new Date(now));
  const advance = async (host: DurableHost, minutes: number) => {
    now += minutes * 60_000;
    clock.fireDue();
    await host.whenIdle();
  };
  return { clock, advance, at: (offsetMin = 0) => new Date(now + offsetMin * 60_000).toISOString() };
}

const input = (v: string): OrchestratorInput => ({ release: `rel-${v}`, versionId: versionId(v), plan, idlePollMs: 600_000, retryMs: 60_000 });
const summary = (host: DurableHost, id: string) => host.get(id)!.customStatus as ReleaseSummary;

describe('release orchestrator', () => {
  it('demotes 1.7.0 in the canary: demote, cancel, notify; then completes', async () => {
    const w = fakeWorld(plan);
    const t = world();
    const host = harness(mkdtempSync(join(tmpdir(), 'rm-orch-')), w.ports, t.clock);
    w.publish(versionId('1.7.0'));
    host.start(ORCHESTRATOR, 'rel-1.7.0', input('1.7.0'));
    await host.whenIdle();
    expect(w.calls).toContain('setRegionalExclude:eastus=false');
    w.replicate(versionId('1.7.0'), 'eastus');
    await t.advance(host, 10);
    host.raiseEvent('rel-1.7.0', SIGNAL, { kind: 'wake-up' });
    await host.whenIdle();
    expect(summary(host, 'rel-1.7.0').phase).toBe('upgrading');
    w.upgrade('eastus', 'Faulted', t.at(-5), 'MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade');
    host.raiseEvent('rel-1.7.0', SIGNAL, { kind: 'wake-up' });
    await host.whenIdle();
    expect(summary(host, 'rel-1.7.0')).toMatchObject({ phase: 'demoted', terminal: true });
    expect(host.get('rel-1.7.0')!.status).toBe('Completed');
    const writes = w.calls.filter((c) => !c.startsWith('read'));
    // Drive mode started the one-box (eastus-1); eastus-2's own Faulted arrives after eastus-1's breach in the
    // same round: it is cancelled to be safe.
    expect(writes).toEqual(['setRegionalExclude:eastus=false', 'startOsUpgrade:vmss-eastus-1', 'demote', 'cancel:vmss-eastus-2']);
    expect(w.notices.map((n) => `${n.notice}:${n.channel}`)).toEqual(['started:slack', 'ring-opened:slack', 'demoted:teams', 'demoted:slack']);
    const ledger = await w.ledger.list('rel-1.7.0');
    expect(ledger.map((e) => e.sequence)).toEqual(ledger.map((_, i) => i));
    expect(ledger.some((e) => e.kind === 'command' && /breach in vmss-eastus-1/.test(e.cause))).toBe(true);
  });

  it('ignores duplicate signals: the same world, signalled again and again, changes nothing', async () => {
    const w = fakeWorld(plan);
    const t = world();
    const host = harness(mkdtempSync(join(tmpdir(), 'rm-orch-')), w.ports, t.clock);
    w.publish(versionId('1.7.1'));
    w.replicate(versionId('1.7.1'), 'eastus');
    host.start(ORCHESTRATOR, 'rel-1.7.1', input('1.7.1'));
    await host.whenIdle();
    const before = { writes: w.calls.filter((c) => !c.startsWith('read')).length, notices: w.notices.length, phase: summary(host, 'rel-1.7.1').phase };
    for (let i = 0; i < 5; i++) host.raiseEvent('rel-1.7.1', SIGNAL, { kind: 'wake-up' });
    await host.whenIdle();
    expect({ writes: w.calls.filter((c) => !c.startsWith('read')).length, notices: w.notices.length, phase: summary(host, 'rel-1.7.1').phase }).toEqual(before);
  });

  it('resumes after a restart and replays to the same decisions, without running finished activities again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rm-orch-'));
    const w = fakeWorld(plan);
    const t = world();
    const first = harness(dir, w.ports, t.clock);
    w.publish(versionId('1.7.1'));
    w.replicate(versionId('1.7.1'), 'eastus');
    first.start(ORCHESTRATOR, 'rel-1.7.1', input('1.7.1'));
    await first.whenIdle();
    w.upgrade('eastus', 'Completed', t.at(5));
    await t.advance(first, 10);
    first.raiseEvent('rel-1.7.1', SIGNAL, { kind: 'wake-up' });
    await first.whenIdle();
    expect(summary(first, 'rel-1.7.1').phase).toBe('soaking');
    const writesBefore = w.calls.filter((c) => !c.startsWith('read'));
    first.close();

    // A new process on the same state dir: the soak timer is re-armed and fires; the next ring opens.
    const second = harness(dir, w.ports, t.clock);
    expect(second.resume()).toBe(1);
    await second.whenIdle();
    expect(w.calls.filter((c) => !c.startsWith('read'))).toEqual(writesBefore);
    w.replicate(versionId('1.7.1'), 'westus3');
    await t.advance(second, 31);
    expect(summary(second, 'rel-1.7.1')).toMatchObject({ phase: 'upgrading', ring: 'early' });
    // A later ring starts each region's smallest set in the same round as it opens (the rest after its first batch).
    expect(w.calls.filter((c) => !c.startsWith('read'))).toEqual([...writesBefore, 'setRegionalExclude:westus3=false', 'startOsUpgrade:vmss-westus3-1']);
    second.close();
  });

  it('the orchestrator module does no I/O: it imports only the engine, types and durable-functions types', () => {
    const text = readFileSync(join(__dirname, '../../src/app/release-orchestrator.ts'), 'utf8');
    const imports = [...text.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]);
    expect(imports.sort()).toEqual(['../core', '../ledger/ledger', './activities', './notice-policy', './release-summary', 'durable-functions']);
    // Its notice rules are pure: they import nothing but the engine's types.
    const policy = readFileSync(join(__dirname, '../../src/app/notice-policy.ts'), 'utf8');
    expect([...policy.matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[0])).toEqual(["import type { Command, NoticeKind } from '../core';"]);
    expect(policy).not.toMatch(/Date\.now\(|new Date\(\)|process\.env|fetch\(/);
    expect(text).not.toMatch(/import (?!type).*'(\.\/activities|\.\.\/ledger\/ledger|durable-functions)'/);
    expect(text).not.toMatch(/Date\.now\(|new Date\(\)|process\.env|fetch\(/);
  });
});

describe('upgradeReads', () => {
  const sets = Array.from({ length: 300 }, (_, i) => `set-${i}`);
  it('reads every set when few, else the hinted ones first and a window that turns', () => {
    expect(upgradeReads(sets.slice(0, 10), undefined, 7, 50)).toEqual(sets.slice(0, 10));
    const first = upgradeReads(sets, { kind: 'wake-up', scaleSetIds: ['set-299', 'unknown'] }, 0, 50);
    expect(first).toHaveLength(50);
    expect(first[0]).toBe('set-299');
    expect(first.slice(1)).toEqual(sets.slice(0, 49));
    // Six turns of 50 cover all 300 sets.
    const seen = new Set(Array.from({ length: 6 }, (_, t) => upgradeReads(sets, undefined, t, 50)).flat());
    expect(seen.size).toBe(300);
  });
});
