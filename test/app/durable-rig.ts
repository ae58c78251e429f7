/**
 * The release orchestrator under the real durable-functions library and the local durable host, against the
 * in-memory world of fake-world.ts, with a stepped clock that fires timers as a real clock does (a timer armed for
 * a time already past fires at once). `around` lets a test act around each activity (raise a signal mid-round).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOrchestrator } from 'durable-functions/lib/src/util/testingUtils';
import { releaseActivities, type ExecuteInput } from '../../src/app/activities';
import { ACTIVITY, ORCHESTRATOR, releaseOrchestrator } from '../../src/app/release-orchestrator';
import type { ReleaseSummary } from '../../src/app/release-summary';
import type { ReleasePlan } from '../../src/core';
import { SteppedClock } from '../../src/local/clock';
import { DurableHost } from '../../src/local/durable-host';
import { fakeWorld } from './fake-world';

export type ActivityPoint = 'observe' | 'execute' | 'notice' | 'record';

export function durableRig(plan: ReleasePlan, opts: { world?: ReturnType<typeof fakeWorld>; start?: string; around?: (point: ActivityPoint) => void } = {}) {
  const w = opts.world ?? fakeWorld(plan);
  let now = Date.parse(opts.start ?? '2026-11-02T09:00:00Z');
  const clock = new SteppedClock(() => new Date(now));
  const host = new DurableHost({ stateDir: mkdtempSync(join(tmpdir(), 'rm-rig-')), clock });
  const after = <T>(point: ActivityPoint, out: Promise<T>) => out.then((v) => (opts.around?.(point), v));
  host.registerOrchestrator(ORCHESTRATOR, createOrchestrator(releaseOrchestrator as never) as never);
  const point = (name: string, i: unknown): ActivityPoint => (name === ACTIVITY.observe ? 'observe' : name === ACTIVITY.record ? 'record' : name === ACTIVITY.execute && (i as ExecuteInput).command.kind === 'notify' ? 'notice' : 'execute');
  for (const [name, handler] of Object.entries(releaseActivities(() => w.ports))) host.registerActivity(name, (i) => after(point(name, i), handler(i)));
  const advance = async (ms: number) => {
    now += ms;
    do await host.whenIdle();
    while (clock.fireDue() > 0);
  };
  return {
    w,
    host,
    clock,
    advance,
    now: () => now,
    at: (offsetMs = 0) => new Date(now + offsetMs).toISOString(),
    status: (id = 'rel') => host.get(id)!.customStatus as ReleaseSummary,
  };
}
