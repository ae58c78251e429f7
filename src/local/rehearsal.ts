/**
 * A rehearsal: the fleet simulator, Azurite and the local runtime (the very app that runs in Azure) on
 * loopback, wired by Event Grid subscriptions, run in lockstep on the simulator's virtual clock until the
 * scenario ends. Then the same scenario once more with no controller (Azure alone), for comparison.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { secretSettingName } from '../azure/settings';
import { parseDuration, planRegions, type Phase } from '../core';
import { releaseIdOf } from '../app/release-runtime';
import type { ReleaseSummary } from '../app/release-summary';
import { buildDeps, readAppSettings } from '../app/wiring';
import type { LedgerEntry } from '../ledger/ledger';
import { loadFleetFile, rollingUpgradeMs, scaleSetId, startSimulator, trackedImageOf, type ScenarioSpec, type Simulator } from '../sim';
import { startAzurite } from './azurite';
import { startOutageProxy } from './outage-proxy';
import { startChatSink } from './chat-sink';
import { SteppedClock } from './clock';
import { FleetWatch } from './fleet-watch';
import { startLocalHost, type LocalHost } from './functions-host';
import { buildReport, type ControlledRun, type Report } from './report';
import { imageNameOf, planOf, releaseKey, releaseLabel, type Scenario } from './scenario';

export interface RehearsalOptions {
  /** The scenario, with its plans (one per image definition). */
  scenario: Scenario;
  root: string;
  outDir: string;
  /** Loads the Functions app's entry module (dist/index.js) into this process. */
  loadApp: () => unknown;
  /** Called after every step; the simulated clock waits while a returned promise is pending. */
  onProgress?: (p: Progress) => void | Promise<void>;
  /** Called once the local runtime listens: where its API is and the function key to use. */
  onRuntime?: (runtime: { url: string; functionKey: string }) => void;
  log?: (message: string) => void;
  baseline?: boolean;
  /**
   * Kill the local runtime at these simulated times (ms after the start) and start it again on the same
   * port and state dir, as an operator restarting `ringmaster serve` would. The outcome must not change.
   */
  restartAtMs?: number[];
}

export interface Progress {
  simTime: string;
  elapsedSimMs: number;
  releases: { version: string; image: string; phase: Phase; ring?: string; waitingFor?: string }[];
  upgrading: { scaleSet: string; region: string; code: string; batch: string; unhealthyPercent: number }[];
}

const FUNCTION_KEY_BYTES = 24;

export interface RehearsalResult {
  report: Report;
  summaries: ReleaseSummary[];
  ledgers: Map<string, LedgerEntry[]>;
}

export async function runRehearsal(o: RehearsalOptions): Promise<RehearsalResult> {
  const started = Date.now();
  const { scenario } = o;
  const log = o.log ?? (() => {});
  const fleet = loadFleetFile(scenario.fleetFile);
  const stepMs = parseDuration(scenario.step) ?? 30_000;
  const endMs = parseDuration(scenario.duration) ?? 12 * 3_600_000;
  mkdirSync(o.outDir, { recursive: true });
  const runtimeDir = join(o.outDir, 'runtime');
  rmSync(runtimeDir, { recursive: true, force: true });

  const sim = await startSimulator({ fleet: scenario.fleetFile, scenario: simScenario(scenario, 'controlled'), manualClock: true, stateDir: join(o.outDir, 'sim') });
  const t0 = Date.parse(fleet.startTime);
  const azurite = await startAzurite(o.root);
  // The app reaches its storage through a proxy that a scenario's storageOutages take down and bring back.
  const storage = await startOutageProxy(azurite.port);
  const outages = scenario.storageOutages.map((x) => ({ from: parseDuration(x.at) ?? 0, to: (parseDuration(x.at) ?? 0) + (parseDuration(x.for) ?? 0) }));
  const sink = await startChatSink({ teams: scenario.chat.teams, slack: scenario.chat.slack }, 20_000);
  const clock = new SteppedClock(() => sim.clock.now());
  const functionKey = randomBytes(FUNCTION_KEY_BYTES).toString('base64url');
  const systemKey = randomBytes(FUNCTION_KEY_BYTES).toString('base64url');
  const env = appSettings(scenario, sim, azurite.connectionString.replace(`:${azurite.port}/`, `:${storage.port}/`), sink.url, t0);
  const deps = buildDeps(readAppSettings(env), undefined, () => sim.clock.now());
  let host: LocalHost | undefined;
  const watch = new FleetWatch(sim, scenario.bad, (image, version) => releaseLabel(scenario, image, version));
  /** The latest summary of each release, by `releaseKey`. */
  const summaries = new Map<string, ReleaseSummary>();
  const operatorDone = new Set<number>();
  let restarted = 0;
  try {
    // The action group calls onAlert with that function's own key, as the deployment wires it.
    const alertKey = randomBytes(FUNCTION_KEY_BYTES).toString('base64url');
    const hostOptions = { clock, stateDir: runtimeDir, functionKey, systemKey, functionKeys: { onAlert: alertKey }, settings: env, deps, loadApp: o.loadApp, log };
    host = await startLocalHost(hostOptions);
    const restarts = [...(o.restartAtMs ?? []), ...scenario.restartAt.map((t) => parseDuration(t) ?? 0)].sort((a, b) => a - b);
    // Rows the ledger held before each restart, to prove that none was rewritten after it.
    const before = new Map<string, string>();
    o.onRuntime?.({ url: host.url, functionKey });
    const hook = (fn: string) => `${host!.url}/runtime/webhooks/eventgrid?functionName=${fn}&code=${systemKey}`;
    await sim.subscribe({ name: 'ringmaster-fleet', endpoint: hook('onResourceEvent'), topic: 'system', schema: 'EventGridSchema', includedEventTypes: ['Microsoft.Resources.ResourceWriteSuccess', 'Microsoft.Resources.ResourceActionSuccess', 'Microsoft.Resources.ResourceActionFailure'] });
    sim.monitor.addActionGroup(`${host.url}/api/alerts?code=${alertKey}`);
    await sim.subscribe({ name: 'ringmaster-own', endpoint: hook('onReleaseEvent'), topic: 'custom', schema: 'CloudEventSchemaV1_0' });

    const quietWithin = (ms: number) => Promise.race([Promise.all([sim.eventGrid.idle(), sim.monitor.idle(), host!.whenIdle()]).then(() => true), delay(ms).then(() => false)]);
    // Quiet means: no delivery on the wire, nothing running in the runtime, no timer come due meanwhile, and
    // still so a tick later (a delivery may just have been queued). Bounded, so a stuck call cannot hang the run.
    const settle = async () => {
      for (let i = 0; i < 50; i++) {
        if ((await quietWithin(250)) && clock.fireDue() === 0) {
          await delay(0);
          if (await quietWithin(5)) return;
        }
      }
    };
    // A publication that waits for a trigger counts from the start here: the run ends only once its release ended.
    const lastPublish = Math.max(0, ...scenario.publish.map((p) => parseDuration(p.at) ?? 0), ...scenario.rebakeAt.map((r) => (parseDuration(r) ?? 0) + 2 * 3_600_000));
    await settle();
    // Storage outages and restarts fall due at their own simulated time, mid-round if a round runs then.
    const dueActions = async () => {
      const elapsed = sim.clock.now().getTime() - t0;
      const down = outages.some((x) => elapsed >= x.from && elapsed < x.to);
      if (down !== storage.isDown) {
        await (down ? storage.down() : storage.up());
        log(`storage ${down ? 'down' : 'back'} at +${Math.round(elapsed / 60_000)} min`);
      }
      await operatorActions(scenario, summaries, operatorDone, host!, functionKey, elapsed, log, true);
      if (restarts.length === 0 || elapsed < restarts[0]!) return;
      restarts.shift();
      if (!storage.isDown) for (const s of summaries.values()) for (const r of await deps.ports.ledger.list(s.release)) before.set(`${r.release}#${r.sequence}`, JSON.stringify(r));
      const port = host!.port;
      await host!.close(); // as if killed: whatever was in flight is lost, the state dir stays
      host = await startLocalHost({ ...hostOptions, port });
      restarted++;
      log(`runtime restarted at +${Math.round(elapsed / 60_000)} min`);
    };
    // One step of simulated time, stopping at each moment the simulator sends an event, so the runtime reacts at
    // the event's own simulated time (as it would in Azure), not at the end of the step.
    const clicks = operatorTimes(scenario).map((ms) => t0 + ms);
    const advanceStep = async () => {
      const target = sim.clock.now().getTime() + stepMs;
      const nextStop = () => Math.min(sim.clock.nextEventAt() ?? Infinity, ...clicks.filter((c) => c > sim.clock.now().getTime()));
      for (let next = nextStop(); next < target; next = nextStop()) {
        sim.clock.advanceTo(next);
        if (!sim.eventGrid.delivering() && !sim.monitor.delivering() && !clicks.includes(next)) continue;
        await dueActions();
        clock.fireDue();
        await settle();
        watch.checkContained();
      }
      sim.clock.advanceTo(target);
      await dueActions();
      clock.fireDue();
    };
    while (sim.clock.now().getTime() - t0 < endMs) {
      await advanceStep();
      await settle();
      const finished = new Set<string>();
      for (const r of await host.runtime.list()) {
        if (!r.summary) continue;
        summaries.set(summaryKey(r.summary), r.summary);
        if (r.status !== 'Running') finished.add(summaryKey(r.summary));
      }
      watch.sample((release) => {
        const s = summaries.get(release);
        return s ? new Set(s.rings.flatMap((ring) => Object.keys(ring.opened))) : new Set<string>();
      });
      await operatorActions(scenario, summaries, operatorDone, host, functionKey, sim.clock.now().getTime() - t0, log, false);
      await o.onProgress?.(progress(sim, t0, summaries));
      // Done when every expected release ended and its orchestration finished (undelivered notices retried).
      if (sim.clock.now().getTime() - t0 >= lastPublish && scenario.expect.releases.every((e) => finished.has(releaseKey(e.image, e.version)))) break;
    }
    if (storage.isDown) await storage.up();
    await settle();
    const ledgers = new Map<string, LedgerEntry[]>();
    for (const [key, s] of summaries) ledgers.set(key, await deps.ports.ledger.list(s.release));
    const controlled = { simEndMs: sim.clock.now().getTime(), t0, summaries, ledgers, watch, calls: { ...sim.calls }, sink: sink.messages, upgradeMsByRegion: upgradeMsByRegion(sim), publishedAt: publishedAt(sim), replicatedAt: replicatedAt(sim), sets: fleetSets(sim), firstBatchMs: sim.sim.behaviour.reimageMs + sim.sim.behaviour.healthSettleMs, throttled: sim.throttler.refused, rowsBeforeRestarts: before, storageOutages: outages.length };
    await host.close();
    host = undefined;
    await sim.close();
    const baseline = o.baseline === false ? undefined : await runBaseline(scenario, o.outDir, endMs, stepMs);
    const report = buildReport({ scenario, controlled, baseline, wallMs: Date.now() - started, restarts: restarted });
    return { report, summaries: [...summaries.values()], ledgers };
  } finally {
    await host?.close().catch(() => {});
    await sim.close().catch(() => {});
    await sink.close();
    await storage.close();
    await azurite.stop();
  }
}

/** The same fleet and publications with no controller: what the seed's setup does by itself. */
async function runBaseline(scenario: Scenario, outDir: string, endMs: number, stepMs: number) {
  const sim = await startSimulator({ fleet: scenario.fleetFile, scenario: simScenario(scenario, 'baseline'), manualClock: true, stateDir: join(outDir, 'sim') });
  try {
    const t0 = sim.clock.now().getTime();
    const watch = new FleetWatch(sim, scenario.bad, (image, version) => releaseLabel(scenario, image, version));
    while (sim.clock.now().getTime() - t0 < endMs) {
      sim.clock.advance(stepMs);
      watch.sample();
    }
    return { figures: watch.figures(), timeline: watch.timeline() };
  } finally {
    await sim.close();
  }
}

/**
 * The simulator's timeline for the scenario. Controlled: each version published with its plan's convention
 * (regional-flag: every plan region targeted and excluded from latest; replication: the canary only,
 * excluded). Baseline: every plan region targeted and not excluded — Azure alone. Rebakes (baseline: run by
 * nobody's timer, so by the timeline) run the template of every plan that rebakes, as the app's timer does.
 */
export function simScenario(s: Scenario, mode: 'controlled' | 'baseline'): ScenarioSpec {
  const extra: ScenarioSpec = s.sim ?? {};
  const publish = s.publish.map((p) => {
    const plan = planOf(s, p.image);
    const regions = mode === 'baseline' || plan.lever === 'regional-flag' ? planRegions(plan) : plan.rings[0]!.regions;
    const when = p.when && { upgradeStarts: { image: p.image, ...p.when.upgradeStarts } };
    return { at: p.at, when, action: 'publishVersion' as const, image: p.image, version: p.version, targetRegions: regions.map((name) => ({ name, excludeFromLatest: mode === 'controlled' })) };
  });
  // The template of each plan that rebakes (a plan's imageTemplate id ends in the template's name).
  const templates = s.plans.flatMap((p) => (p.plan.rebake ? [p.plan.rebake.imageTemplate.split('/').at(-1)!] : []));
  const rebakes = mode === 'baseline' ? s.rebakeAt.flatMap((at) => templates.map((template) => ({ at, action: 'runImageTemplate' as const, template }))) : [];
  return { ...extra, timeline: [...(extra.timeline ?? []), ...publish, ...rebakes] } as ScenarioSpec;
}

/** The `releaseKey` of a release the runtime reports. */
function summaryKey(s: ReleaseSummary): string {
  return releaseKey(imageNameOf(s.versionId), s.version);
}

function appSettings(s: Scenario, sim: Simulator, ledger: string, sinkUrl: string, t0: number): Record<string, string> {
  const env: Record<string, string> = {
    RINGMASTER_ARM_ENDPOINT: sim.url,
    RINGMASTER_ARM_CA_FILE: sim.caPath,
    RINGMASTER_SUBSCRIPTION_IDS: sim.fleet.subscriptionId,
    RINGMASTER_PLANS: s.plans.map((p) => p.file).join(','),
    RINGMASTER_EVENTGRID_TOPIC_ENDPOINT: sim.topic.endpoint,
    RINGMASTER_EVENTGRID_TOPIC_KEY: sim.topic.key,
    RINGMASTER_LEDGER_CONNECTION: ledger,
    RINGMASTER_NOTIFY_ALLOW_LOOPBACK: 'true',
    RINGMASTER_WATCH_SCHEDULE: '0 */1 * * * *',
    RINGMASTER_REBAKE_SCHEDULE: rebakeCron(s, t0),
    RINGMASTER_IDLE_POLL_SECONDS: '600',
    RINGMASTER_RETRY_SECONDS: '60',
    RINGMASTER_LRO_POLL_MS: '5',
    RINGMASTER_TASK_HUB: 'rehearsal',
  };
  for (const route of s.plans.flatMap((p) => p.plan.notify)) {
    if (route.teams) env[secretSettingName(route.teams)] = `${sinkUrl}/teams/${route.teams}`;
    if (route.slack) env[secretSettingName(route.slack)] = `${sinkUrl}/slack/${route.slack}`;
  }
  return env;
}

/** The first `rebakeAt` as a one-shot NCRONTAB (second minute hour day month *); the monthly default otherwise. */
function rebakeCron(s: Scenario, t0: number): string {
  const first = s.rebakeAt[0];
  if (!first) return '0 0 3 1 * *';
  const d = new Date(t0 + (parseDuration(first) ?? 0));
  return `${d.getUTCSeconds()} ${d.getUTCMinutes()} ${d.getUTCHours()} ${d.getUTCDate()} ${d.getUTCMonth() + 1} *`;
}

/**
 * The scenario's operator actions that are due: a phase-gated one once its release is in that phase, a timed one
 * (`at`) as soon as its time has come — without waiting for the runtime to be idle.
 */
async function operatorActions(s: Scenario, summaries: Map<string, ReleaseSummary>, done: Set<number>, host: LocalHost, key: string, elapsedMs: number, log: (m: string) => void, timed: boolean): Promise<void> {
  for (const [i, op] of s.operator.entries()) {
    if (done.has(i) || (op.at !== undefined) !== timed) continue;
    if (elapsedMs < (parseDuration(op.at ?? op.after ?? '0s') ?? 0)) continue;
    if (op.when !== undefined && summaries.get(releaseKey(op.image, op.version))?.phase !== op.when) continue;
    done.add(i);
    const res = await fetch(`${host.url}/api/releases/${encodeURIComponent(releaseIdOf(`${planOf(s, op.image).image}/versions/${op.version}`))}/${op.action}`, {
      method: 'POST',
      headers: { 'x-functions-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ actor: op.actor, reason: `rehearsal: ${op.action} ${op.at !== undefined ? `at +${op.at}` : `when ${op.when}`}` }),
    });
    log(`operator ${op.actor}: ${op.action} ${op.version} → HTTP ${res.status}`);
  }
}

/** Simulated times (ms from the start) at which a timed operator action falls. */
function operatorTimes(s: Scenario): number[] {
  return s.operator.flatMap((op) => (op.at === undefined ? [] : [parseDuration(op.at) ?? 0]));
}

function progress(sim: Simulator, t0: number, summaries: Map<string, ReleaseSummary>): Progress {
  const upgrading: Progress['upgrading'] = [];
  for (const set of sim.fleet.scaleSets.values()) {
    const ru = set.rolling;
    if (!ru || ru.code !== 'RollingForward') continue;
    const failed = set.instances.filter((i) => i.health === 'unhealthy').length;
    upgrading.push({ scaleSet: set.name, region: set.location, code: ru.code, batch: `${set.instances.filter((i) => i.version === ru.targetVersion).length}/${set.instances.length}`, unhealthyPercent: Math.round((failed / Math.max(1, set.instances.length)) * 100) });
  }
  return {
    simTime: sim.clock.now().toISOString(),
    elapsedSimMs: sim.clock.now().getTime() - t0,
    releases: [...summaries.values()].map((s) => ({ version: s.version, image: imageNameOf(s.versionId), phase: s.phase, ring: s.ring, waitingFor: s.waitingFor })),
    upgrading,
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Per region, the longest healthy rolling upgrade of its scale sets (the sets' own policies): for lower bounds. */
/** When each version was published (`releaseKey` → simulated ms), as the simulator's timeline ran it. */
function publishedAt(sim: Simulator): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of sim.sim.timeline) if (e.action.action === 'publishVersion' && e.status === 'done' && e.at !== undefined) out.set(releaseKey(e.action.image, e.action.version), e.at);
  return out;
}

/** When each version's replica completed in each region (`releaseKey` → region → simulated ms). */
function replicatedAt(sim: Simulator): Map<string, Record<string, number>> {
  const out = new Map<string, Record<string, number>>();
  for (const image of sim.fleet.gallery.images.values()) {
    for (const v of image.versions.values()) out.set(releaseKey(image.name, v.name), Object.fromEntries(v.targetRegions.map((r) => [r.region, r.completesAt])));
  }
  return out;
}

function fleetSets(sim: Simulator): ControlledRun['sets'] {
  return [...sim.fleet.scaleSets.values()].map((set) => ({ id: scaleSetId(sim.fleet, set), region: set.location, capacity: set.instances.length, image: trackedImageOf(set) }));
}

function upgradeMsByRegion(sim: Simulator): Record<string, number> {
  const out: Record<string, number> = {};
  for (const set of sim.fleet.scaleSets.values()) out[set.location] = Math.max(out[set.location] ?? 0, rollingUpgradeMs(set, sim.sim.behaviour));
  return out;
}
