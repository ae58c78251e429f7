// Programmatic entry point of the fleet simulator: startSimulator() -> a running HTTPS server on 127.0.0.1
// with a virtual clock, the fleet model, ARM call counters and Event Grid delivery.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventGrid, type SubscriptionInput, type WebhookSubscription } from './event-grid';
import type { Faults } from './faults';
import { Monitor } from './monitor';
import { loadFleetFile, loadScenarioFile, mergeScenario, parseFleet, parseScenario, type FleetSpec, type FleetSpecInput, type ScenarioSpecInput } from './fleet-spec';
import type { FleetState } from './fleet-model';
import { SimServer } from './http-server';
import { Simulation } from './simulation';
import { snapshot } from './snapshot';
import { DEFAULT_THROTTLE, Throttler, type ThrottleConfig } from './throttle';
import { ensureCertificate } from './tls-cert';

export type { FleetSpec, FleetSpecInput, ScenarioSpec } from './fleet-spec';
export { Simulation } from './simulation';
export { rollingUpgradeMs } from './upgrade-engine';
export { imageNameOf as trackedImageOf, scaleSetId } from './fleet-model';
export type { ScaleSet } from './fleet-model';
export { brokenVersions } from './behaviour';
export { SpecError, loadFleetFile, loadScenarioFile, parseFleet, parseScenario } from './fleet-spec';

export interface StartOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** A fleet spec (validated) or a path to a YAML/JSON fleet file. Default: examples/fleets/payments.yaml's shape is required. */
  fleet?: FleetSpec | FleetSpecInput | string;
  /** A scenario (health rules, behaviour, timeline) or a path to one, applied on top of the fleet. */
  scenario?: ScenarioSpecInput | string;
  seed?: number;
  /** Virtual seconds per real second when the clock runs by itself (default 1). */
  speed?: number;
  /** Directory for the certificate (ca.pem, server.pem, server.key). Default: a new temporary directory. */
  stateDir?: string;
  /** When true the clock only moves through clock.advance() (tests). */
  manualClock?: boolean;
  throttling?: Partial<ThrottleConfig>;
}

export interface SimClock {
  now(): Date;
  advance(ms: number): number;
  /** Runs every event due up to `at` (simulated ms) and moves the clock there. */
  advanceTo(at: number): number;
  /** When the next scheduled event is due (simulated ms), if any. */
  nextEventAt(): number | undefined;
  setSpeed(n: number): void;
  readonly speed: number;
  readonly manual: boolean;
}

export interface Simulator {
  url: string;
  port: number;
  caPem: string;
  caPath: string;
  stateDir: string;
  clock: SimClock;
  /** Read access to the model for assertions (do not mutate). */
  fleet: FleetState;
  sim: Simulation;
  calls: Record<string, number>;
  faults: Faults;
  eventGrid: EventGrid;
  /** Azure Monitor: action group webhooks that `fireAlert` posts to. */
  monitor: Monitor;
  throttler: Throttler;
  /** Custom topic endpoint and key for EventGridPublisherClient. */
  topic: { endpoint: string; key: string };
  snapshot(): Record<string, unknown>;
  subscribe(sub: SubscriptionInput): Promise<WebhookSubscription>;
  close(): Promise<void>;
}

const DEFAULT_FLEET: FleetSpecInput = {
  subscriptionId: '00000000-0000-0000-0000-000000000001',
  regions: ['eastus'],
  gallery: { name: 'galProd', resourceGroup: 'rg-images', location: 'eastus', images: [{ name: 'app', versions: [{ version: '1.0.0' }] }] },
};

function resolveFleet(opts: StartOptions): FleetSpec {
  let fleet: FleetSpec;
  if (typeof opts.fleet === 'string') fleet = loadFleetFile(opts.fleet);
  else fleet = parseFleet(opts.fleet ?? DEFAULT_FLEET);
  if (opts.scenario !== undefined) fleet = mergeScenario(fleet, typeof opts.scenario === 'string' ? loadScenarioFile(opts.scenario) : parseScenario(opts.scenario));
  return fleet;
}

export async function startSimulator(opts: StartOptions = {}): Promise<Simulator> {
  const fleet = resolveFleet(opts);
  const stateDir = opts.stateDir ?? mkdtempSync(join(tmpdir(), 'ringmaster-sim-'));
  mkdirSync(stateDir, { recursive: true });
  const cert = ensureCertificate(stateDir);
  const simOpts: { seed?: number; speed?: number; manualClock?: boolean } = {};
  if (opts.seed !== undefined) simOpts.seed = opts.seed;
  if (opts.speed !== undefined) simOpts.speed = opts.speed;
  if (opts.manualClock !== undefined) simOpts.manualClock = opts.manualClock;
  const sim = new Simulation(fleet, simOpts);
  const faults = sim.faults;
  const eventGrid = new EventGrid(sim, faults);
  const monitor = new Monitor(sim);
  const throttler = new Throttler({ ...DEFAULT_THROTTLE, ...(opts.throttling ?? {}) }, () => sim.clock.nowMs());
  const calls: Record<string, number> = {};
  const server = new SimServer({ sim, faults, eventGrid, throttler, calls, cert });
  let port: number;
  try {
    port = await server.listen(opts.port ?? 0);
  } catch (e) {
    sim.close();
    throw e;
  }
  const clock: SimClock = {
    now: () => sim.clock.now(),
    advance: (ms) => sim.clock.advance(ms),
    advanceTo: (at) => sim.clock.advanceTo(at),
    nextEventAt: () => sim.clock.nextEventAt(),
    setSpeed: (n) => sim.clock.setSpeed(n),
    get speed() {
      return sim.clock.getSpeed();
    },
    get manual() {
      return sim.clock.isManual();
    },
  };
  return {
    url: server.url,
    port,
    caPem: cert.caPem,
    caPath: cert.caPath,
    stateDir,
    clock,
    fleet: sim.state,
    sim,
    calls,
    faults,
    monitor,
    eventGrid,
    throttler,
    topic: { endpoint: `${server.url}/api/events`, key: eventGrid.topicKey },
    snapshot: () => snapshot(sim),
    subscribe: (sub) => eventGrid.addSubscription(sub),
    close: async () => {
      eventGrid.close();
      sim.close();
      await server.close();
    },
  };
}
