/**
 * Benchmarks that run whole rehearsals in this process (the simulator, Azurite and the local runtime running
 * dist/index.js, in lockstep on the virtual clock):
 *  - blast radius and ARM calls of the payments story (the same figures as report.json, plus the canary's first
 *    batch size for comparison);
 *  - scale: a release of one healthy version through 60 regions × 20 scale sets × 100 instances (4 rings of 15
 *    regions), wall time and peak memory.
 * Figures only; nothing here asserts on time.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { runRehearsal, type Progress, type RehearsalResult } from '../src/local/rehearsal';
import { listScenarios, loadScenario } from '../src/local/scenario';
import { loadFleetFile } from '../src/sim';
import type { ReleasePlan } from '../src/core';
import type { BehaviourSpec } from '../src/sim/fleet-spec';

type Figures = Record<string, number | string>;

function appLoader(root: string): () => unknown {
  const requireApp = createRequire(join(root, 'dist', 'index.js'));
  return () => requireApp(join(root, 'dist', 'index.js'));
}

export async function rehearseInProcess(scenarioFile: string, opts: { baseline?: boolean; root?: string; drive?: 'on' | 'off'; plan?: Partial<ReleasePlan>; seed?: number; behaviour?: BehaviourSpec } = {}): Promise<RehearsalResult & { outDir: string }> {
  const root = opts.root ?? process.cwd();
  const loadedScenario = loadScenario(scenarioFile, root);
  const outDir = mkdtempSync(join(tmpdir(), 'rm-bench-'));
  const sim = { ...loadedScenario.sim, ...(opts.seed === undefined ? {} : { seed: opts.seed }), ...(opts.behaviour ? { behaviour: { ...loadedScenario.sim?.behaviour, ...opts.behaviour } } : {}) };
  const seeded = { ...loadedScenario, sim };
  // The runtime reads its plans from files: a plan with drive (or more) overridden is written next to the report.
  const overrides = { ...opts.plan, ...(opts.drive ? { drive: opts.drive } : {}) };
  const scenario = Object.keys(overrides).length > 0
    ? { ...seeded, plans: seeded.plans.map((p, i) => {
        const file = join(outDir, `plan-${i}.json`);
        const plan = { ...p.plan, ...overrides };
        writeFileSync(file, JSON.stringify(plan));
        return { ...p, file, plan };
      }) }
    : seeded;
  const result = await runRehearsal({ scenario, root, outDir, loadApp: appLoader(root), baseline: opts.baseline ?? true });
  return { ...result, outDir };
}

/** Blast radius and ARM calls of the payments story (with the Azure-alone baseline), then the drive-mode comparison. */
export async function benchBlastRadius(): Promise<Figures> {
  const out: Figures = {};
  const { report, outDir } = await rehearseInProcess('payments');
  try {
    const scenario = loadScenario('payments');
    const fleet = loadFleetFile(scenario.fleetFile);
    const plan = scenario.plans[0]!.plan;
    const canary = plan.rings[0]!;
    // The canary's first batch: maxBatchInstancePercent of one canary scale set (Azure rounds up, at least one).
    const group = fleet.scaleSets.find((g) => !g.regions || g.regions.some((r) => canary.regions.includes(r)));
    const instances = group?.instances ?? 0;
    const batchPercent = group?.upgradePolicy?.rollingUpgradePolicy?.maxBatchInstancePercent ?? 20;
    const firstBatch = Math.max(1, Math.ceil((instances * batchPercent) / 100));
    out['blast.payments.outcome'] = report.outcome;
    for (const rel of report.releases) {
      out[`blast.payments.${rel.version}.finalState`] = rel.finalState;
      out[`blast.payments.${rel.version}.instancesOutsideOpenRings`] = rel.maxInstancesOnVersionOutsideOpenRings;
    }
    out['blast.payments.badVersion.instances'] = report.blastRadius.instancesOnBadVersion;
    out['blast.payments.badVersion.regions'] = report.blastRadius.regionsAffected;
    out['blast.payments.canary.firstBatch'] = firstBatch;
    out['blast.payments.badVersion.instances/firstBatch'] = Math.round((report.blastRadius.instancesOnBadVersion / firstBatch) * 100) / 100;
    out['blast.payments.azureAlone.instances'] = report.baseline?.instancesOnBadVersion ?? 'n/a';
    out['blast.payments.azureAlone.regions'] = report.baseline?.regionsAffected ?? 'n/a';
    out['blast.payments.ratioToAzureAlone'] = report.blastRadius.ratioToBaseline ?? 'n/a';
    out['blast.payments.breachToDemote.simulatedMs'] = report.timings.breachToDemoteMs.join(',') || 'none';
    out['blast.payments.gateToNextRing.simulatedMs'] = report.timings.gateToNextRingMs.join(',') || 'none';
    out['blast.goal'] = 'outside open rings = 0; bad-version instances <= canary first batch';
    // ARM calls of the whole story (two releases: 1.7.0 demoted, 1.7.1 through three rings), per operation.
    out['arm.payments.releases'] = report.releases.length;
    out['arm.payments.total'] = report.armCalls.total;
    for (const [op, n] of Object.entries(report.armCalls.byOperation)) out[`arm.payments.${op}`] = n;
    out['arm.payments.perRelease'] = Math.round(report.armCalls.total / Math.max(1, report.releases.length));
    out['arm.payments.simulated'] = report.simulatedDuration;
    out['arm.payments.wall_ms'] = report.wallMs;
    out['arm.payments.note'] = 'EventGrid_Publish is the watcher publishing to the custom topic; GetLatest dominates (one per watched set per round)';
    Object.assign(out, driveFigures('on', report, firstBatch));
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
  // The same story with drive: off (the platform picks each ring's version up itself, 30–60 minutes later).
  const off = await rehearseInProcess('payments', { drive: 'off', baseline: false });
  try {
    Object.assign(out, driveFigures('off', off.report, Number(out['blast.payments.canary.firstBatch'])));
  } finally {
    rmSync(off.outDir, { recursive: true, force: true });
  }
  // And with a fleet budget that would let the broad ring open at once: payments' 50 % opens it in two waves, which
  // the lower bound (one rolling upgrade per ring) does not count; so does the northeurope–westeurope pair, even here.
  const wide = await rehearseInProcess('payments', { plan: { budget: { maxInstancesOnUnprovenVersion: '100%' } }, baseline: false });
  try {
    const good = wide.report.releases.find((r) => r.finalState === 'completed');
    out['drive.on.budget100.goodRelease.duration_min'] = good?.durationMs != null ? Math.round(good.durationMs / 60_000) : 'n/a';
    out['drive.on.budget100.goodRelease.ratioToLowerBound'] = good?.ratioToLowerBound ?? 'n/a';
    out['drive.on.budget100.goodRelease.ratioToFloor'] = good?.ratioToFloor ?? 'n/a';
  } finally {
    rmSync(wide.outDir, { recursive: true, force: true });
  }
  // And with the broad ring cut as payments.yaml's comment advises for production (broad-a, then broad-b =
  // [westeurope]): the same schedule, so the same duration and floor; only the lower bound, which counts one rolling
  // upgrade per ring, now counts the second wave.
  const rings = loadScenario('payments').plans[0]!.plan.rings.flatMap((r) =>
    r.name === 'broad' ? [{ ...r, name: 'broad-a', regions: r.regions.filter((x) => x !== 'westeurope'), allowPairedRegions: false }, { ...r, name: 'broad-b', regions: ['westeurope'], allowPairedRegions: false }] : [r],
  );
  const split = await rehearseInProcess('payments', { plan: { rings }, baseline: false });
  try {
    const good = split.report.releases.find((r) => r.finalState === 'completed');
    out['drive.on.splitPair.goodRelease.duration_min'] = good?.durationMs != null ? Math.round(good.durationMs / 60_000) : 'n/a';
    out['drive.on.splitPair.goodRelease.lowerBound_min'] = good ? Math.round(good.lowerBoundMs / 60_000) : 'n/a';
    out['drive.on.splitPair.goodRelease.ratioToLowerBound'] = good?.ratioToLowerBound ?? 'n/a';
    out['drive.on.splitPair.goodRelease.ratioToFloor'] = good?.ratioToFloor ?? 'n/a';
  } finally {
    rmSync(split.outDir, { recursive: true, force: true });
  }
  return out;
}

/**
 * The payments story with drive mode under 20 seeds (the fleet's replication and pickup jitter vary with the
 * seed): halt → contained, and the instances that ran 1.7.0 against one canary set's first batch, in every seed.
 */
/** The p99 of a list of numbers (NaN when empty). */
function p99(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)]! : NaN;
}

/**
 * The payments story over 20 seeds (fleet jitter varies with the seed), three ways: drive on with events delivered
 * at once; drive on with an assumed Event Grid latency of 5–15 s (Azure documents no figure); and drive off, where
 * no event reports a platform-started upgrade's halt and the release's own polling (health.pollEvery) finds it.
 */
export async function benchSeeds(): Promise<Figures> {
  const seedsOf = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
  const main = Number(process.env.RINGMASTER_SEEDS ?? 20);
  // The two variations run on fewer seeds, to keep `npm run bench` within minutes.
  const extra = Number(process.env.RINGMASTER_SEEDS_EXTRA ?? 10);
  const series = [
    { key: 'seeds', seeds: seedsOf(main), opts: {} },
    { key: 'seeds.eventLatency5to15s', seeds: seedsOf(extra), opts: { behaviour: { eventLatency: '5s', eventLatencyJitter: '10s' } } },
    { key: 'seeds.driveOff', seeds: seedsOf(extra), opts: { drive: 'off' as const } },
  ];
  const out: Figures = {};
  for (const { key, seeds, opts } of series) {
    out[`${key}.runs`] = seeds.length;
    const contained: number[] = [];
    const bad: number[] = [];
    let passed = 0;
    for (const seed of seeds) {
      const { report, outDir } = await rehearseInProcess('payments', { seed, baseline: false, ...opts });
      rmSync(outDir, { recursive: true, force: true });
      if (report.outcome === 'passed') passed++;
      contained.push(...report.timings.breachToDemoteMs);
      bad.push(report.blastRadius.instancesOnBadVersion);
    }
    out[`${key}.passed`] = passed;
    out[`${key}.haltToContained.p99_simulated_s`] = p99(contained) / 1000;
    out[`${key}.haltToContained.max_simulated_s`] = Math.max(...contained) / 1000;
    out[`${key}.badVersion.instances.max`] = Math.max(...bad);
  }
  out['seeds.goal'] = "drive on: contained p99 <= 10 s plus Event Grid's delivery; bad instances <= one canary set's first batch (2) in every seed";
  return out;
}

/** Drive mode's figures for one run of the payments story: time against its lower bound, halt to contained, blast. */
function driveFigures(drive: 'on' | 'off', report: RehearsalResult['report'], firstBatch: number): Figures {
  const k = `drive.${drive}`;
  const good = report.releases.find((r) => r.finalState === 'completed');
  const out: Figures = {
    [`${k}.outcome`]: report.outcome,
    [`${k}.goodRelease.duration_min`]: good?.durationMs != null ? Math.round(good.durationMs / 60_000) : 'n/a',
    [`${k}.goodRelease.lowerBound_min`]: good ? Math.round(good.lowerBoundMs / 60_000) : 'n/a',
    [`${k}.goodRelease.ratioToLowerBound`]: good?.ratioToLowerBound ?? 'n/a',
    // The fastest the plan's rules allow (replication, the budget's and the pair's waves, the canary's one-box).
    [`${k}.goodRelease.floor_min`]: good?.floorMs != null ? Math.round(good.floorMs / 60_000) : 'n/a',
    [`${k}.goodRelease.ratioToFloor`]: good?.ratioToFloor ?? 'n/a',
    [`${k}.haltToContained.simulated_s`]: report.timings.breachToDemoteMs.length ? report.timings.breachToDemoteMs.map((ms) => ms / 1000).join(',') : 'none',
    [`${k}.badVersion.instances`]: report.blastRadius.instancesOnBadVersion,
    [`${k}.badVersion.instances/firstBatch`]: Math.round((report.blastRadius.instancesOnBadVersion / firstBatch) * 100) / 100,
    [`${k}.armCallsPerRelease`]: Math.round(report.armCalls.total / Math.max(1, report.releases.length)),
  };
  if (report.baseline) out['drive.azureAlone.badVersion.instances'] = report.baseline.instancesOnBadVersion;
  return out;
}

const SUB = '00000000-0000-0000-0000-0000000000b1';

/** Writes a 60 × 20 × 100 fleet, a four-ring plan and a one-release scenario into `dir`; returns the scenario file. */
export function writeScaleScenario(dir: string, size: { regions: number; setsPerRegion: number; instances: number; drive?: 'on' | 'off' } = { regions: 60, setsPerRegion: 20, instances: 100 }): string {
  const regions = Array.from({ length: size.regions }, (_, i) => `region${String(i + 1).padStart(2, '0')}`);
  const perRing = Math.ceil(regions.length / 4);
  const fleet = {
    name: 'scale',
    subscriptionId: SUB,
    startTime: '2025-01-06T08:00:00Z',
    seed: 11,
    regions,
    gallery: { name: 'galScale', resourceGroup: 'rg-images', location: regions[0], images: [{ name: 'app', versions: [{ version: '1.0.0' }] }] },
    scaleSets: [
      {
        name: 'vmss-{region}-{n}',
        resourceGroup: 'rg-{region}',
        countPerRegion: size.setsPerRegion,
        instances: size.instances,
        orchestrationMode: 'Uniform',
        image: 'app',
        healthSource: 'extension',
        upgradePolicy: {
          mode: 'Rolling',
          rollingUpgradePolicy: { maxBatchInstancePercent: 20, maxUnhealthyInstancePercent: 20, maxUnhealthyUpgradedInstancePercent: 20, pauseTimeBetweenBatches: 'PT1M', rollbackFailedInstancesOnPolicyBreach: true },
          automaticOSUpgradePolicy: { enableAutomaticOSUpgrade: true, useRollingUpgradePolicy: true },
        },
      },
    ],
    health: [{ version: '*', healthy: true }],
    behaviour: { detectionDelay: '20m', detectionJitter: '10m', replicationTime: '15m', regionStagger: '1m', reimageDuration: '3m', healthSettle: '2m' },
  };
  const plan = {
    name: 'scale',
    image: `/subscriptions/${SUB}/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/galScale/images/app`,
    lever: 'regional-flag',
    ...(size.drive ? { drive: size.drive } : {}),
    rings: [0, 1, 2, 3].map((k) => ({ name: `ring${k}`, regions: regions.slice(k * perRing, (k + 1) * perRing), soak: '30m' })).filter((r) => r.regions.length > 0),
    health: { maxUnhealthyUpgradedInstancePercent: 20, onWholeSetUnhealthy: 'pause', warmUp: '5m', upgradeTimeout: '6h' },
    budget: { maxInstancesOnUnprovenVersion: '100%' },
  };
  const scenario = {
    name: 'scale',
    description: `one healthy version through ${size.regions} regions × ${size.setsPerRegion} scale sets × ${size.instances} instances`,
    fleet: 'fleet.json',
    plan: 'plan.json',
    duration: '16h',
    step: '1m',
    publish: [{ at: '10m', version: '2.0.0' }],
    expect: { releases: [{ version: '2.0.0', finalState: 'completed' }], maxInstancesOnVersionOutsideOpenRings: 0 },
  };
  writeFileSync(join(dir, 'fleet.json'), JSON.stringify(fleet));
  writeFileSync(join(dir, 'plan.json'), JSON.stringify(plan));
  const file = join(dir, 'scale.yaml');
  writeFileSync(file, JSON.stringify(scenario));
  return file;
}

/**
 * A rehearsal of 60 regions × 20 scale sets × 100 instances: wall time and peak memory (goal < 60 s, < 512 MB).
 * Bounded by a wall-time budget (RINGMASTER_SCALE_BUDGET_S, default 150 s): past it the run is stopped and the
 * figures say how far it got in simulated time, so `npm run bench` stays within a few minutes.
 */
export async function benchScale(): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), 'rm-scale-'));
  const driveEnv = process.env.RINGMASTER_SCALE_DRIVE;
  const drive: 'on' | 'off' | undefined = driveEnv === 'on' || driveEnv === 'off' ? driveEnv : undefined;
  const size = { regions: Number(process.env.RINGMASTER_SCALE_REGIONS ?? 60), setsPerRegion: 20, instances: 100, ...(drive ? { drive } : {}) };
  const budgetMs = Number(process.env.RINGMASTER_SCALE_BUDGET_S ?? 150) * 1000;
  const file = writeScaleScenario(dir, size);
  const rssBefore = process.memoryUsage().rss;
  let peakRss = rssBefore;
  let peakHeap = process.memoryUsage().heapUsed;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 100);
  const started = performance.now();
  let last: Progress | undefined;
  let steps = 0;
  const mib = (b: number) => Math.round(b / 2 ** 20);
  const common = () => ({
    'scale.fleet': `${size.regions} regions × ${size.setsPerRegion} sets × ${size.instances} instances = ${size.regions * size.setsPerRegion * size.instances}`,
    'scale.lockstep_steps': steps,
    'scale.peak_rss_MiB(sampled every 100 ms)': mib(peakRss),
    'scale.maxRSS_MiB(resourceUsage, whole bench process)': Math.round(process.resourceUsage().maxRSS / 1024),
    'scale.peak_heap_MiB(sampled)': mib(peakHeap),
    'scale.rss_before_MiB': mib(rssBefore),
    // npm run bench caps V8's old space (--max-old-space-size=384): uncapped, V8 on a 24 GiB machine lets the heap grow to
    // ~460 MiB before collecting, though what is live stays near 160 MiB; capped, the same run takes the same time.
    'scale.heap_limit_MiB': mib(getHeapStatistics().heap_size_limit),
    'scale.goal': 'wall < 60 s, peak memory < 512 MB (this process: simulator + runtime; Azurite is a child process, not counted)',
  });
  try {
    const root = process.cwd();
    const scenario = loadScenario(file, root);
    const outDir = mkdtempSync(join(tmpdir(), 'rm-bench-'));
    try {
      const { report } = await runRehearsal({
        scenario,
        root,
        outDir,
        loadApp: appLoader(root),
        baseline: false,
        onProgress: (p) => {
          last = p;
          steps++;
          if (performance.now() - started > budgetMs) throw new BudgetExceeded();
        },
      });
      const wallMs = performance.now() - started;
      const rel = report.releases[0];
      return {
        ...common(),
        'scale.outcome': `${report.outcome}${report.failures.length ? ` (${report.failures.join('; ')})` : ''}`,
        'scale.finalState': rel?.finalState ?? 'no release',
        'scale.instancesUpgraded': rel?.instancesUpgraded ?? 0,
        'scale.simulated': report.simulatedDuration,
        'scale.wall_ms': Math.round(wallMs),
        'scale.x_real_time': Math.round((Date.parse(report.simulatedEnd) - Date.parse(report.simulatedStart)) / wallMs),
        'scale.armCalls': report.armCalls.total,
        'scale.throttled_429': report.armCalls.throttled,
      };
    } catch (err) {
      if (!(err instanceof BudgetExceeded)) throw err;
      const wallMs = performance.now() - started;
      const hours = ((last?.elapsedSimMs ?? 0) / 3_600_000).toFixed(2);
      return {
        ...common(),
        'scale.outcome': `stopped at the wall-time budget (${budgetMs / 1000} s): not finished`,
        'scale.reached': `simulated +${hours} h; ${last?.releases.map((r) => `${r.version} ${r.phase}${r.ring ? `@${r.ring}` : ''}`).join(', ') ?? 'no release'}; ${last?.upgrading.length ?? 0} sets rolling`,
        'scale.wall_ms': Math.round(wallMs),
        'scale.x_real_time': Math.round((last?.elapsedSimMs ?? 0) / wallMs),
      };
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  } finally {
    clearInterval(sampler);
    rmSync(dir, { recursive: true, force: true });
  }
}

class BudgetExceeded extends Error {
  constructor() {
    super('wall-time budget exceeded');
  }
}

/**
 * Drive mode across the scenario library: every scenario with drive forced on and forced off; the instances that
 * ran a bad version must never be more with drive on. (Opt-in: `node dist/bench.js library`, about 6 minutes here.)
 */
export async function benchLibrary(): Promise<Figures> {
  const out: Figures = {};
  const worse: string[] = [];
  let n = 0;
  for (const { name } of listScenarios(process.cwd())) {
    const blast: Record<'on' | 'off', number> = { on: 0, off: 0 };
    for (const drive of ['on', 'off'] as const) {
      const { report, outDir } = await rehearseInProcess(name, { drive, baseline: false });
      rmSync(outDir, { recursive: true, force: true });
      blast[drive] = report.blastRadius.instancesOnBadVersion;
    }
    n++;
    out[`library.${name}.badInstances.on/off`] = `${blast.on}/${blast.off}`;
    if (blast.on > blast.off) worse.push(name);
  }
  out['library.scenarios'] = n;
  out['library.worseWithDriveOn'] = worse.length ? worse.join(',') : 'none';
  return out;
}
