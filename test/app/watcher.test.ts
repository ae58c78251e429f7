/**
 * The fleet watcher: one event per release per run, the most telling change first — a failing set, else a
 * completed one, else one that started rolling (the release then polls an upgrade the platform started while
 * its batches are judged: Azure raises no event when such an upgrade halts).
 */
import { describe, expect, it } from 'vitest';
import type { ReleaseEvent } from '../../src/core';
import { REQUESTED, type ReleaseSummary } from '../../src/app/release-summary';
import type { ReleaseRuntime } from '../../src/app/release-runtime';
import { watchFleet } from '../../src/app/watcher';

const SET = (n: number) => `/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-${n}`;
const progress = { successful: 0, failed: 0, inProgress: 2, pending: 8 };
const upgrade = (n: number, code: 'RollingForward' | 'Completed' | 'Faulted'): ReleaseEvent => ({ kind: 'rolling-upgrade-observed', scaleSetId: SET(n), code, startTime: '2026-12-02T08:00:00Z', progress });

async function watchOnce(observed: ReleaseEvent[], known: Record<string, string> = { [SET(1)]: '', [SET(2)]: '', [SET(3)]: '' }) {
  const summary = { versionId: '/v/1.7.1', terminal: false, watch: { scaleSets: known, replicating: [] } } as unknown as ReleaseSummary;
  const signals: ReleaseEvent[] = [];
  const runtime = {
    list: async () => [{ instanceId: 'r1', status: 'Running', createdTime: '', lastUpdatedTime: '', summary }],
    signal: async (_id: string, e: ReleaseEvent) => (signals.push(e), true),
  } as unknown as ReleaseRuntime;
  const published: { type: string; scaleSetId: string }[] = [];
  await watchFleet({
    runtime,
    ports: { observe: async () => ({ events: observed, errors: [], exists: true }) },
    publisher: { publish: async (type, data) => void published.push({ type, scaleSetId: (data as { scaleSetId: string }).scaleSetId }) },
    log: () => {},
  });
  return { published, signals };
}

describe('the fleet watcher', () => {
  it('announces an upgrade that started rolling', async () => {
    expect((await watchOnce([upgrade(2, 'RollingForward')])).published).toEqual([{ type: 'ringmaster.upgrade.started', scaleSetId: SET(2) }]);
  });

  it('announces a failing set before a completed one, and a completed one before a start', async () => {
    expect((await watchOnce([upgrade(1, 'RollingForward'), upgrade(2, 'Completed'), upgrade(3, 'Faulted')])).published).toEqual([{ type: 'ringmaster.upgrade.failed', scaleSetId: SET(3) }]);
    expect((await watchOnce([upgrade(1, 'RollingForward'), upgrade(2, 'Completed')])).published).toEqual([{ type: 'ringmaster.upgrade.completed', scaleSetId: SET(2) }]);
  });

  it('does not announce the start of an upgrade the release started itself (drive mode: it knows, and Azure reports a failure)', async () => {
    expect((await watchOnce([upgrade(2, 'RollingForward')], { [SET(2)]: REQUESTED })).published).toEqual([]);
    expect((await watchOnce([upgrade(2, 'Faulted')], { [SET(2)]: REQUESTED })).published).toEqual([{ type: 'ringmaster.upgrade.failed', scaleSetId: SET(2) }]);
  });

  it('announces nothing when nothing changed', async () => {
    expect(await watchOnce([])).toEqual({ published: [], signals: [] });
  });
});
