/**
 * Reaction and gate latency of the controller, measured on the path the orchestrator runs each round —
 * `observeRelease` (ARM reads) → `decide` → `executeCommand` — with the real adapters (the Azure SDK clients)
 * against the fleet simulator on loopback HTTPS. What is measured is controller wall time, not simulated time:
 *
 *  - reaction: the round's observation returns a Faulted rolling upgrade (breach observed) → `decide` issues
 *    `demote-version` → `executeCommand` returns once the simulator accepted the version PATCH
 *    (`excludeFromLatest=true`, checked in the simulator's model afterwards);
 *  - gate: the round in which the canary's soak has elapsed → `decide` issues the next ring's opening →
 *    the PATCH clearing the early ring's regional flag is accepted.
 *
 * Not included: Event Grid delivery, the durable host's scheduling and the ledger write (see the rehearsal's
 * report timings for the simulated-time view, which are 0 ms of simulated time in the payments story).
 * Each run is a fresh simulator with its own seed (detection and replication jitter differ). Figures only.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { executeCommand, observeRelease } from '../src/app/activities';
import { watchList } from '../src/app/release-summary';
import { buildDeps, readAppSettings } from '../src/app/wiring';
import { decide, newRelease, validatePlan, type Command, type ReleasePlan, type ReleaseState } from '../src/core';
import { MemoryLedger } from '../src/ledger/ledger';
import { startSimulator, type FleetSpecInput } from '../src/sim';

const SUB = '00000000-0000-0000-0000-0000000000c1';
const IMAGE = `/subscriptions/${SUB}/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/galReact/images/app`;
const REGIONS = ['eastus', 'westus3'];

function fleet(seed: number): FleetSpecInput {
  return {
    subscriptionId: SUB,
    seed,
    regions: REGIONS,
    gallery: { name: 'galReact', resourceGroup: 'rg-images', location: 'eastus', images: [{ name: 'app', versions: [{ version: '1.0.0' }] }] },
    scaleSets: [
      {
        name: 'vmss-{region}-{n}',
        resourceGroup: 'rg-{region}',
        countPerRegion: 2,
        instances: 10,
        image: 'app',
        healthSource: 'extension',
        upgradePolicy: {
          mode: 'Rolling',
          rollingUpgradePolicy: { maxBatchInstancePercent: 20, maxUnhealthyInstancePercent: 20, maxUnhealthyUpgradedInstancePercent: 20, pauseTimeBetweenBatches: 'PT2M', rollbackFailedInstancesOnPolicyBreach: true },
          automaticOSUpgradePolicy: { enableAutomaticOSUpgrade: true, useRollingUpgradePolicy: true },
        },
      },
    ],
    health: [
      { version: '2.0.0', healthy: false },
      { version: '*', healthy: true },
    ],
    behaviour: { detectionDelay: '20m', detectionJitter: '20m', replicationTime: '15m', regionStagger: '5m', reimageDuration: '3m', healthSettle: '2m' },
  };
}

function plan(): ReleasePlan {
  const r = validatePlan({
    image: IMAGE,
    lever: 'regional-flag',
    rings: [
      { name: 'canary', regions: ['eastus'], soak: '30m' },
      { name: 'early', regions: ['westus3'], soak: '0s' },
    ],
    health: { maxUnhealthyUpgradedInstancePercent: 20, onWholeSetUnhealthy: 'pause', warmUp: '5m' },
    budget: { maxInstancesOnUnprovenVersion: '100%' },
  });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.plan;
}

interface Sample {
  /** observeRelease() of the deciding round (ARM reads). */
  readMs: number;
  /** observed → command issued (decide over the round's events). */
  decideMs: number;
  /** command issued → PATCH accepted (executeCommand). */
  writeMs: number;
  armCallsInRound: number;
}

/**
 * Runs one release round by round on a fresh simulator until `target` is issued; returns the deciding round's timings.
 * `version` 2.0.0 is unhealthy (a breach), 2.1.0 healthy (the canary passes its gate).
 */
async function oneRun(seed: number, version: '2.0.0' | '2.1.0', target: (c: Command) => boolean, stateDir: string): Promise<Sample> {
  const sim = await startSimulator({ fleet: fleet(seed), manualClock: true, seed, stateDir });
  try {
    const settings = readAppSettings({ RINGMASTER_ARM_ENDPOINT: sim.url, RINGMASTER_ARM_CA_FILE: sim.caPath, RINGMASTER_SUBSCRIPTION_IDS: SUB, RINGMASTER_LRO_POLL_MS: '5' });
    const { ports } = buildDeps(settings, new MemoryLedger());
    const p = plan();
    const versionId = `${IMAGE}/versions/${version}`;
    sim.sim.putVersion('app', version, { targetRegions: REGIONS.map((name) => ({ name, excludeFromLatest: true })) });
    let state: ReleaseState = newRelease(p, versionId, sim.clock.now());
    const calls = () => Object.values(sim.calls).reduce((a, b) => a + b, 0);
    for (let round = 0; round < 200; round++) {
      const now = sim.clock.now();
      const callsBefore = calls();
      const watch = watchList(state);
      const r0 = performance.now();
      const observed = await observeRelease({ versionId, plan: p, readFleet: round === 0 || !state.fleetObserved, scaleSetIds: Object.keys(watch.scaleSets), knownReplication: state.replication, knownUpgrades: watch.scaleSets }, ports);
      const r1 = performance.now();
      const commands: Command[] = [];
      let issuedAt: number | undefined;
      for (const event of [...observed.events, { kind: 'wake-up' as const }]) {
        const d = decide(state, event, now);
        state = d.state;
        commands.push(...d.commands.filter((c) => c.kind !== 'notify'));
        if (issuedAt === undefined && d.commands.some(target)) issuedAt = performance.now();
      }
      for (const c of commands) {
        const result = await executeCommand({ release: 'bench', command: c }, ports);
        if (!result.ok) throw new Error(`${c.kind} failed: ${result.detail}`);
        if (issuedAt !== undefined && target(c)) {
          const acceptedAt = performance.now();
          checkAccepted(sim.sim.image('app')?.versions.get(version), c);
          return { readMs: r1 - r0, decideMs: issuedAt - r1, writeMs: acceptedAt - issuedAt, armCallsInRound: calls() - callsBefore };
        }
      }
      sim.clock.advance(60_000);
    }
    throw new Error(`seed ${seed}: ${version} never issued the command (phase ${state.phase}, ${state.waitingFor ?? ''})`);
  } finally {
    await sim.close();
  }
}

type SimVersion = { excludeFromLatest: boolean; targetRegions: { region: string; excludeFromLatest: boolean | undefined }[] };

function checkAccepted(v: SimVersion | undefined, c: Command): void {
  if (!v) throw new Error('version vanished');
  if (c.kind === 'demote-version' && !v.excludeFromLatest) throw new Error('demote PATCH not in effect');
  if (c.kind === 'set-regional-exclude' && c.regions.some((r) => (v.targetRegions.find((t) => t.region === r)?.excludeFromLatest ?? false) !== c.excludeFromLatest)) {
    throw new Error('regional flag PATCH not in effect');
  }
}

const RUNS = Number(process.env.RINGMASTER_BENCH_RUNS ?? 100);

async function series(prefix: string, version: '2.0.0' | '2.1.0', target: (c: Command) => boolean, goal: string): Promise<Record<string, number | string>> {
  const stateDir = mkdtempSync(join(tmpdir(), 'rm-react-'));
  const samples: Sample[] = [];
  try {
    // One warm-up run (JIT, TLS session set-up) that is not counted.
    await oneRun(10_000, version, target, stateDir);
    for (let seed = 1; seed <= RUNS; seed++) samples.push(await oneRun(seed, version, target, stateDir));
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
  const q = (xs: number[], p: number) => {
    const s = [...xs].sort((a, b) => a - b);
    return Math.round(s[Math.min(s.length - 1, Math.floor(p * s.length))]! * 1000) / 1000;
  };
  const total = samples.map((s) => s.decideMs + s.writeMs);
  const withRead = samples.map((s) => s.readMs + s.decideMs + s.writeMs);
  return {
    [`${prefix}.runs`]: samples.length,
    [`${prefix}.observed_to_accepted.p50_ms`]: q(total, 0.5),
    [`${prefix}.observed_to_accepted.p99_ms`]: q(total, 0.99),
    [`${prefix}.decide.p50_ms`]: q(samples.map((s) => s.decideMs), 0.5),
    [`${prefix}.decide.p99_ms`]: q(samples.map((s) => s.decideMs), 0.99),
    [`${prefix}.patch_accepted.p50_ms`]: q(samples.map((s) => s.writeMs), 0.5),
    [`${prefix}.patch_accepted.p99_ms`]: q(samples.map((s) => s.writeMs), 0.99),
    [`${prefix}.round_with_arm_reads.p50_ms`]: q(withRead, 0.5),
    [`${prefix}.round_with_arm_reads.p99_ms`]: q(withRead, 0.99),
    [`${prefix}.arm_calls_in_round.max`]: Math.max(...samples.map((s) => s.armCallsInRound)),
    [`${prefix}.goal`]: goal,
  };
}

/** Breach observed → demote issued → demote PATCH accepted (goal: p99 ≤ 1 s of controller time). */
export function benchReaction(): Promise<Record<string, number | string>> {
  return series('reaction', '2.0.0', (c) => c.kind === 'demote-version', 'observed_to_accepted p99 <= 1000 ms');
}

/** Canary gate met (soak elapsed) → next ring's flag PATCH accepted (goal ≤ 1 s). */
export function benchGate(): Promise<Record<string, number | string>> {
  return series('gate', '2.1.0', (c) => c.kind === 'set-regional-exclude' && !c.excludeFromLatest && c.regions.includes('westus3'), 'observed_to_accepted p99 <= 1000 ms');
}
