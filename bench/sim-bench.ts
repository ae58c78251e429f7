// Simulator benchmark: a 60-region x 20-scale-set x 100-instance fleet rolls a version through on the virtual
// clock (reported as simulated time / wall time), and loopback ARM GET latency through the HTTPS front door.
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { startSimulator } from '../src/sim';
import { Simulation } from '../src/sim/simulation';
import { parseFleet, type FleetSpecInput } from '../src/sim/fleet-spec';

const SUB = '00000000-0000-0000-0000-000000000001';

function bigFleet(regions: number, setsPerRegion: number, instances: number): FleetSpecInput {
  const names = Array.from({ length: regions }, (_, i) => `region${String(i + 1).padStart(2, '0')}`);
  return {
    subscriptionId: SUB,
    seed: 42,
    regions: names,
    gallery: { name: 'galBench', resourceGroup: 'rg-images', location: names[0] ?? 'region01', images: [{ name: 'app', versions: [{ version: '1.0.0' }] }] },
    scaleSets: [
      {
        name: 'vmss-{region}-{n}',
        resourceGroup: 'rg-{region}',
        countPerRegion: setsPerRegion,
        instances,
        orchestrationMode: 'Uniform',
        image: 'app',
        healthSource: 'extension',
        upgradePolicy: {
          mode: 'Rolling',
          rollingUpgradePolicy: { maxBatchInstancePercent: 20, maxUnhealthyUpgradedInstancePercent: 20, pauseTimeBetweenBatches: 'PT1M', rollbackFailedInstancesOnPolicyBreach: true },
          automaticOSUpgradePolicy: { enableAutomaticOSUpgrade: true },
        },
      },
    ],
    behaviour: { regionStagger: '2m' },
  };
}

function get(agent: https.Agent, url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { agent, headers: { authorization: 'Bearer bench' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
  });
}

export async function benchSimulator(): Promise<Record<string, number | string>> {
  const out: Record<string, number | string> = {};

  // 1. Roll a version through 60 x 20 x 100 on the manual clock.
  const buildStart = performance.now();
  const sim = new Simulation(parseFleet(bigFleet(60, 20, 100)), { manualClock: true });
  out['sim.fleet.instances'] = [...sim.state.scaleSets.values()].reduce((n, s) => n + s.instances.length, 0);
  out['sim.fleet.build_ms'] = Math.round(performance.now() - buildStart);
  const publishedAt = sim.clock.nowMs();
  const wallStart = performance.now();
  sim.putVersion('app', '2.0.0', { targetRegions: sim.state.regions.map((r) => ({ name: r })) });
  let lastEnd = publishedAt;
  const step = 15 * 60_000;
  for (let i = 0; i < 400; i++) {
    sim.clock.advance(step);
    const sets = [...sim.state.scaleSets.values()];
    if (sets.every((s) => s.rolling && s.rolling.code !== 'RollingForward' && s.rolling.targetVersion === '2.0.0')) {
      lastEnd = Math.max(...sets.map((s) => s.rolling?.endTime ?? 0));
      break;
    }
  }
  const wallMs = performance.now() - wallStart;
  const sets = [...sim.state.scaleSets.values()];
  out['sim.rollout.completed_sets'] = sets.filter((s) => s.rolling?.code === 'Completed').length;
  out['sim.rollout.simulated_hours'] = Math.round(((lastEnd - publishedAt) / 3_600_000) * 100) / 100;
  out['sim.rollout.wall_ms'] = Math.round(wallMs);
  out['sim.rollout.x_real_time'] = Math.round((lastEnd - publishedAt) / Math.max(1, wallMs));
  out['sim.rollout.events'] = sim.clock.processed;
  sim.close();

  // 2. Loopback ARM GET latency (keep-alive HTTPS, sequential).
  const server = await startSimulator({ fleet: bigFleet(2, 2, 10), manualClock: true, throttling: { enabled: false } });
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: server.caPem });
  const url = `${server.url}/subscriptions/${SUB}/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/galBench/images/app/versions/1.0.0?api-version=2025-03-03&$expand=ReplicationStatus`;
  for (let i = 0; i < 50; i++) await get(agent, url);
  const samples: number[] = [];
  for (let i = 0; i < 500; i++) {
    const t = performance.now();
    const status = await get(agent, url);
    samples.push(performance.now() - t);
    if (status !== 200) throw new Error(`bench GET returned ${status}`);
  }
  samples.sort((a, b) => a - b);
  out['sim.arm_get.p50_ms'] = Math.round((samples[Math.floor(samples.length * 0.5)] ?? 0) * 1000) / 1000;
  out['sim.arm_get.p99_ms'] = Math.round((samples[Math.floor(samples.length * 0.99)] ?? 0) * 1000) / 1000;
  agent.destroy();
  await server.close();
  return out;
}
