/** The release summary is the orchestrator's custom status: it must fit the Durable extension's 16 KB. */
import { describe, expect, it } from 'vitest';
import { summarize, STATUS_BUDGET_BYTES } from '../../src/app/release-summary';
import { decideAll, newRelease, type ReleaseEvent } from '../../src/core';
import { MAX_CUSTOM_STATUS_BYTES, utf16Bytes } from '../../src/local/durable-host';
import { planWith, scaleSetId, versionId } from '../core/factories';

const regions = Array.from({ length: 60 }, (_, i) => `southeastasia${String(i).padStart(2, "0")}`);
const plan = planWith({
  rings: [0, 1, 2, 3].map((r) => ({ name: `ring${r}`, regions: regions.slice(r * 15, r * 15 + 15), soak: '30m' })),
  budget: { maxInstancesOnUnprovenVersion: '100%' },
  windows: [],
  freezes: [],
});

describe('release summary (custom status)', () => {
  it('fits 16 KB for 60 regions × 20 scale sets with every region open and upgrading', () => {
    const now = new Date('2026-11-02T09:00:00Z');
    const fleet: ReleaseEvent = { kind: 'fleet-observed', scaleSets: regions.flatMap((region) => Array.from({ length: 20 }, (_, n) => ({ id: scaleSetId(`vmss-${region}-${n}`), region, capacity: 100 }))) };
    const published: ReleaseEvent = { kind: 'version-published', versionId: versionId('1.7.1'), excludeFromLatest: false, targetRegions: regions.map((name) => ({ name, excludeFromLatest: true })) };
    let { state } = decideAll(newRelease(plan, versionId('1.7.1'), now), [fleet, published], now);
    // Open every ring by hand (the engine would take days): the worst case for the status.
    state = { ...state, phase: 'upgrading', ring: 3, rings: state.rings.map((r) => ({ ...r, opened: Object.fromEntries(r.regions.map((x) => [x, now.toISOString()])) })) };
    state.transitions = Array.from({ length: 40 }, (_, i) => ({ at: now.toISOString(), from: 'held' as const, to: 'opening' as const, ring: 'ring0', cause: `transition ${i}: ${'a long cause '.repeat(8)}` }));
    const s = summarize('rel', state);
    expect(utf16Bytes(s)).toBeLessThanOrEqual(STATUS_BUDGET_BYTES);
    expect(STATUS_BUDGET_BYTES).toBeLessThan(MAX_CUSTOM_STATUS_BYTES);
    // What was left out is counted, not silently dropped.
    expect(Object.keys(s.watch.scaleSets).length + (s.watch.more ?? 0)).toBe(1_200);
    expect(s.rings.flatMap((r) => Object.keys(r.opened))).toHaveLength(60);
  });

  it('measures names that JSON escapes as JSON does (quotes, backslashes, control characters, lone surrogates)', () => {
    const now = new Date('2026-11-02T09:00:00Z');
    const odd = ['q"uote', 'back\\slash', 'tab\tnl\n', 'lone\ud800'];
    const fleet: ReleaseEvent = { kind: 'fleet-observed', scaleSets: regions.flatMap((region) => Array.from({ length: 20 }, (_, n) => ({ id: scaleSetId(`vmss-${odd[n % 4]}${'\u0001'.repeat(6)}-${region}-${n}`), region, capacity: 100 }))) };
    let { state } = decideAll(newRelease(plan, versionId('1.7.1'), now), [fleet], now);
    state = { ...state, phase: 'upgrading', ring: 3, rings: state.rings.map((r) => ({ ...r, opened: Object.fromEntries(r.regions.map((x) => [x, now.toISOString()])) })) };
    const s = summarize('rel', state);
    expect(utf16Bytes(s)).toBeLessThanOrEqual(STATUS_BUDGET_BYTES);
    expect(utf16Bytes(s)).toBeGreaterThan(STATUS_BUDGET_BYTES * 0.9);
    expect(Object.keys(s.watch.scaleSets).length + (s.watch.more ?? 0)).toBe(1_200);
  });

  it('keeps everything for a small release', () => {
    const now = new Date('2026-11-02T09:00:00Z');
    const s = summarize('rel', newRelease(planWith({}), versionId('1.7.1'), now));
    expect(s.watch.more).toBeUndefined();
  });
});
