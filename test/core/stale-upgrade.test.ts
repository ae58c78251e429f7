/**
 * A rolling upgrade that started before its region opened (an older version's, often Faulted) is ignored by the
 * release — and remembered, so the watcher and the observe activity know it and do not announce it again every
 * minute (two ledger rows a minute until the upgrade timeout, before).
 */
import { describe, expect, it } from 'vitest';
import { watchList } from '../../src/app/release-summary';
import { decide, upgradeFingerprint } from '../../src/core';
import { at, newRelease, paymentsFleet, planWith, published, replicated, rollingUpgradeFaulted, run, scaleSetId, T0, versionId } from './factories';

describe('a stale upgrade from before the region opened', () => {
  it('is ignored once and then known: the watch list carries its fingerprint', () => {
    const plan = planWith({});
    const { state } = run(newRelease(plan, versionId('1.7.1'), T0), [paymentsFleet(plan), published('1.7.1', plan.rings.flatMap((r) => r.regions)), replicated('1.7.1', 'eastus')], T0);
    const stale = rollingUpgradeFaulted('vmss-eastus-1', at(-120));
    const d = decide(state, stale, new Date(T0.getTime() + 5 * 60_000));
    expect(d.cause).toMatch(/^ignored: .*before eastus opened/);
    expect(d.state.phase).toBe('upgrading');
    const known = watchList(d.state).scaleSets[scaleSetId('vmss-eastus-1')];
    expect(known).toBe(upgradeFingerprint(stale as Parameters<typeof upgradeFingerprint>[0]));
  });
});
