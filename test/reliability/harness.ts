/**
 * Shared pieces of the reliability campaign: a seeded PRNG, in-process rehearsals (with a hook on the simulator
 * they start, for fault injection), a stand-alone stack (simulator + local runtime + chat sink, no Azurite), and
 * ledger checks. Everything talks to 127.0.0.1 only.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDeps, readAppSettings, type AppDeps } from '../../src/app/wiring';
import { secretSettingName } from '../../src/azure/settings';
import { loadPlanOrThrow } from '../../src/local/plan-file';
import type { ReleasePlan } from '../../src/core';
import type { LedgerEntry } from '../../src/ledger/ledger';
import { MemoryLedger } from '../../src/ledger/ledger';
import { startChatSink, type ChatSink } from '../../src/local/chat-sink';
import { SteppedClock } from '../../src/local/clock';
import { startLocalHost, type LocalHost } from '../../src/local/functions-host';
import { runRehearsal, type RehearsalOptions, type RehearsalResult } from '../../src/local/rehearsal';
import { loadScenario, type Scenario } from '../../src/local/scenario';
import { startSimulator, type Simulator } from '../../src/sim';

export const root = join(__dirname, '../..');
export const PAYMENTS_FLEET = join(root, 'examples/fleets/payments.yaml');
export const PAYMENTS_PLAN = join(root, 'examples/payments.yaml');

/** The seeded generator the adapters use for jitter: the same sequence for the same seed. */
export { mulberry32 as prng } from '../../src/sim/prng';

export function appLoader(): () => unknown {
  const requireApp = createRequire(join(root, 'dist', 'index.js'));
  return () => requireApp(join(root, 'dist', 'index.js'));
}

/**
 * The scenario with the fleet's seed replaced (a copy of the fleet file in a temp dir). Needed for a second
 * in-process rehearsal: the app's event dedupe set (RecentIds in src/functions/deps.ts) is module-level, so a
 * second local host in the same process drops every event id the first one saw, and the simulator's ids are
 * deterministic per seed.
 */
export function scenarioWithSeed(name: string, seed: number, chat?: Scenario['chat']): Scenario {
  const s = loadScenario(name, root);
  const fleet = parseYaml(readFileSync(s.fleetFile, 'utf8')) as Record<string, unknown>;
  const dir = mkdtempSync(join(tmpdir(), 'rm-fleet-'));
  const fleetFile = join(dir, 'fleet.yaml');
  writeFileSync(fleetFile, stringifyYaml({ ...fleet, seed }));
  return { ...s, fleetFile, ...(chat ? { chat } : {}) };
}

export interface InProcessRun extends RehearsalResult {
  logs: string[];
  outDir: string;
  runtime?: { url: string; functionKey: string };
}

/** Runs a scenario in this process (as `ringmaster rehearse` does), collecting the runtime's log lines. */
export async function rehearseInProcess(
  scenario: Scenario | string,
  extra: Partial<Pick<RehearsalOptions, 'baseline' | 'restartAtMs' | 'onProgress'>> = {},
): Promise<InProcessRun> {
  const s = typeof scenario === 'string' ? loadScenario(scenario, root) : scenario;
  const outDir = mkdtempSync(join(tmpdir(), `rm-rel-${s.name}-`));
  const logs: string[] = [];
  let runtime: { url: string; functionKey: string } | undefined;
  const result = await runRehearsal({
    scenario: s,
    root,
    outDir,
    loadApp: appLoader(),
    log: (m) => logs.push(m),
    onRuntime: (r) => {
      runtime = r;
    },
    baseline: extra.baseline ?? false,
    ...(extra.restartAtMs ? { restartAtMs: extra.restartAtMs } : {}),
    ...(extra.onProgress ? { onProgress: extra.onProgress } : {}),
  });
  return { ...result, logs, outDir, ...(runtime ? { runtime } : {}) };
}

/** Ledger rows are numbered 0, 1, 2, … with no gap and no repeat. Returns the problems found. */
export function ledgerGaps(rows: LedgerEntry[]): string[] {
  const seqs = rows.map((r) => r.sequence).sort((a, b) => a - b);
  const problems: string[] = [];
  seqs.forEach((s, i) => {
    if (s !== i) problems.push(`${rows[0]?.release ?? '?'}: expected sequence ${i}, found ${s}`);
  });
  return problems.slice(0, 5);
}

export const commandRows = (rows: LedgerEntry[]) => rows.filter((r) => r.kind === 'command').map((r) => r.payload as { kind: string; regions?: string[]; scaleSetId?: string; excludeFromLatest?: boolean });
export const demotions = (rows: LedgerEntry[]) => commandRows(rows).filter((c) => c.kind === 'demote-version').length;

/** Delivered notices, by dedupe key: each must appear once. */
export function deliveredNoticeKeys(rows: LedgerEntry[]): string[] {
  return rows.filter((r) => r.kind === 'notice' && (r.payload as { delivered: boolean }).delivered).map((r) => (r.payload as { dedupeKey: string }).dedupeKey);
}

export interface Stack {
  sim: Simulator;
  host: LocalHost;
  sink: ChatSink;
  deps: AppDeps;
  clock: SteppedClock;
  plan: ReleasePlan;
  env: Record<string, string>;
  functionKey: string;
  /** onAlert's own function-level key (what the action group's webhook carries). */
  alertKey: string;
  systemKey: string;
  logs: string[];
  hook(fn: 'onResourceEvent' | 'onReleaseEvent', code?: string): string;
  /** Lets the durable host and Event Grid finish what they have in flight. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The payments fleet in the simulator (manual clock), the local runtime hosting dist/index.js (timers off: tests
 * drive time), a chat sink and an in-memory ledger. Throttling can be turned off for tests that freeze the clock
 * (the throttle budgets refill on simulated time).
 */
export async function startStack(opts: { throttling?: boolean; seed?: number } = {}): Promise<Stack> {
  const sim = await startSimulator({ fleet: PAYMENTS_FLEET, manualClock: true, seed: opts.seed ?? 7, throttling: { enabled: opts.throttling ?? false } });
  const sink = await startChatSink({ teams: 'up', slack: 'up' }, 20_000);
  const plan = loadPlanOrThrow(PAYMENTS_PLAN);
  const env: Record<string, string> = {
    RINGMASTER_ARM_ENDPOINT: sim.url,
    RINGMASTER_ARM_CA_FILE: sim.caPath,
    RINGMASTER_SUBSCRIPTION_IDS: sim.fleet.subscriptionId,
    RINGMASTER_PLANS: PAYMENTS_PLAN,
    RINGMASTER_EVENTGRID_TOPIC_ENDPOINT: sim.topic.endpoint,
    RINGMASTER_EVENTGRID_TOPIC_KEY: sim.topic.key,
    RINGMASTER_NOTIFY_ALLOW_LOOPBACK: 'true',
    RINGMASTER_WATCH_SCHEDULE: '0 */1 * * * *',
    RINGMASTER_REBAKE_SCHEDULE: '0 0 3 1 * *',
    RINGMASTER_IDLE_POLL_SECONDS: '600',
    RINGMASTER_RETRY_SECONDS: '60',
    RINGMASTER_LRO_POLL_MS: '5',
    RINGMASTER_TASK_HUB: 'reliability',
  };
  for (const route of plan.notify) {
    if (route.teams) env[secretSettingName(route.teams)] = `${sink.url}/teams/${route.teams}`;
    if (route.slack) env[secretSettingName(route.slack)] = `${sink.url}/slack/${route.slack}`;
  }
  const deps = buildDeps(readAppSettings(env), new MemoryLedger(), () => sim.clock.now());
  const clock = new SteppedClock(() => sim.clock.now());
  const functionKey = randomBytes(24).toString('base64url');
  const systemKey = randomBytes(24).toString('base64url');
  const alertKey = randomBytes(24).toString('base64url');
  const logs: string[] = [];
  const host = await startLocalHost({ clock, stateDir: mkdtempSync(join(tmpdir(), 'rm-stack-')), functionKey, functionKeys: { onAlert: alertKey }, systemKey, settings: env, deps, loadApp: appLoader(), log: (m) => logs.push(m), timers: false });
  const settle = async () => {
    for (let i = 0; i < 200; i++) {
      await Promise.all([sim.eventGrid.idle(), host.whenIdle()]);
      await new Promise((r) => setTimeout(r, 5));
      if (clock.fireDue() === 0) {
        const quiet = await Promise.race([Promise.all([sim.eventGrid.idle(), host.whenIdle()]).then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 20))]);
        if (quiet) return;
      }
    }
  };
  return {
    sim,
    host,
    sink,
    deps,
    clock,
    plan,
    env,
    functionKey,
    alertKey,
    systemKey,
    logs,
    hook: (fn, code = systemKey) => `${host.url}/runtime/webhooks/eventgrid?functionName=${fn}&code=${encodeURIComponent(code)}`,
    settle,
    close: async () => {
      await host.close().catch(() => {});
      await sim.close().catch(() => {});
      await sink.close().catch(() => {});
    },
  };
}

/** Completes both webhooks' validation handshakes, as Event Grid does when a subscription is created. */
export async function handshake(stack: Stack): Promise<void> {
  const res = await fetch(stack.hook('onResourceEvent'), {
    method: 'POST',
    headers: { 'aeg-event-type': 'SubscriptionValidation', 'content-type': 'application/json' },
    body: JSON.stringify([validationEvent('hs-1')]),
  });
  if (res.status !== 200) throw new Error(`handshake onResourceEvent: HTTP ${res.status}`);
  const opt = await fetch(stack.hook('onReleaseEvent'), { method: 'OPTIONS', headers: { 'WebHook-Request-Origin': 'eventgrid.azure.net' } });
  if (opt.status !== 200) throw new Error(`handshake onReleaseEvent: HTTP ${opt.status}`);
}

export function validationEvent(id: string): Record<string, unknown> {
  return {
    id,
    topic: '/subscriptions/00000000-0000-0000-0000-000000000001',
    subject: '',
    eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
    eventTime: new Date().toISOString(),
    data: { validationCode: `code-${id}`, validationUrl: 'https://127.0.0.1/validate' },
    dataVersion: '1',
    metadataVersion: '1',
  };
}
