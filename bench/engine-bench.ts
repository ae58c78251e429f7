/** decide() latency on a fleet of 60 regions × 20 scale sets (goal: p99 ≤ 1 ms). */
import { decide, newRelease, validatePlan, type ReleaseEvent, type ReleaseState } from '../src/core';

const SUB = '00000000-0000-0000-0000-0000000000aa';
const IMAGE = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/big`;

export function benchEngine(): Record<string, number | string> {
  const regions = Array.from({ length: 60 }, (_, i) => `region${String(i).padStart(2, '0')}`);
  const planResult = validatePlan({
    image: IMAGE,
    rings: [0, 1, 2, 3].map((k) => ({ name: `ring${k}`, regions: regions.slice(k * 15, k * 15 + 15), soak: '30m' })),
  });
  if (!planResult.ok) throw new Error(JSON.stringify(planResult.errors));
  const sets = regions.flatMap((region) => Array.from({ length: 20 }, (_, n) => ({ id: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/${region}-${n}`, region, capacity: 100 })));
  const versionId = `${IMAGE}/versions/2.0.0`;
  let state: ReleaseState = newRelease(planResult.plan, versionId, new Date(0));
  let t = Date.parse('2026-11-02T09:00:00Z');
  const samples: number[] = [];
  const step = (e: ReleaseEvent) => {
    const started = performance.now();
    state = decide(state, e, new Date(t)).state;
    samples.push(performance.now() - started);
    t += 1000;
  };
  step({ kind: 'fleet-observed', scaleSets: sets });
  step({ kind: 'version-published', versionId, excludeFromLatest: false, targetRegions: regions.map((name) => ({ name, excludeFromLatest: true })) });
  for (let ring = 0; ring < 4 && state.phase !== 'completed'; ring++) {
    for (const region of regions.slice(ring * 15, ring * 15 + 15)) {
      step({ kind: 'replication-observed', versionId, region, state: 'Completed' });
      for (const s of sets.filter((x) => x.region === region)) {
        step({ kind: 'rolling-upgrade-observed', scaleSetId: s.id, code: 'RollingForward', startTime: new Date(t).toISOString(), progress: { successful: 20, failed: 0, inProgress: 20, pending: 60 } });
        step({ kind: 'rolling-upgrade-observed', scaleSetId: s.id, code: 'Completed', startTime: new Date(t - 1000).toISOString(), progress: { successful: 100, failed: 0, inProgress: 0, pending: 0 } });
      }
    }
    t += 31 * 60_000;
    step({ kind: 'wake-up' });
  }
  if (state.phase !== 'completed') throw new Error(`bench release did not complete: ${state.phase} (${state.waitingFor ?? ''})`);
  samples.sort((a, b) => a - b);
  const q = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))]!;
  return {
    'engine.decisions': samples.length,
    'engine.decide.p50.ms': round(q(0.5)),
    'engine.decide.p99.ms': round(q(0.99)),
    'engine.decide.max.ms': round(samples.at(-1)!),
    'engine.goal': 'p99 <= 1 ms',
  };
}

const round = (n: number) => Math.round(n * 1000) / 1000;
