// The fleet and scenario file format (YAML or JSON), validated with zod. Errors name the path of the bad field.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseDuration, parseIsoDuration } from './durations';
import { armFaultSpec, eventFaultSpec } from './faults';
import { formatSpecPath, unknownKeys } from './spec-keys';

const duration = z.union([z.string(), z.number()]).superRefine((v, ctx) => {
  try {
    parseDuration(v);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
  }
});
function safeDuration(v: string | number): number {
  try {
    return parseDuration(v);
  } catch {
    return Number.NaN;
  }
}
const isoDuration = z.string().superRefine((v, ctx) => {
  try {
    parseIsoDuration(v);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
  }
});
const versionName = z.string().regex(/^\d+\.\d+\.\d+$/, 'a gallery image version is MAJOR.MINOR.PATCH, e.g. 1.7.0');
const storageAccountType = z.enum(['Standard_LRS', 'Standard_ZRS', 'Premium_LRS']);

export const targetRegionSpec = z.union([
  z.string(),
  z.strictObject({
    name: z.string(),
    regionalReplicaCount: z.number().int().min(1).max(100).optional(),
    excludeFromLatest: z.boolean().optional(),
    storageAccountType: storageAccountType.optional(),
  }),
]);
export type TargetRegionSpec = z.infer<typeof targetRegionSpec>;

export const rollingUpgradePolicySpec = z.strictObject({
  maxBatchInstancePercent: z.number().int().min(5).max(100).default(20),
  maxUnhealthyInstancePercent: z.number().int().min(5).max(100).default(20),
  maxUnhealthyUpgradedInstancePercent: z.number().int().min(0).max(100).default(20),
  pauseTimeBetweenBatches: isoDuration.default('PT0S'),
  enableCrossZoneUpgrade: z.boolean().optional(),
  prioritizeUnhealthyInstances: z.boolean().optional(),
  rollbackFailedInstancesOnPolicyBreach: z.boolean().default(false),
  maxSurge: z.boolean().optional(),
});
export type RollingUpgradePolicySpec = z.infer<typeof rollingUpgradePolicySpec>;

export const automaticOSUpgradePolicySpec = z.strictObject({
  enableAutomaticOSUpgrade: z.boolean().default(false),
  disableAutomaticRollback: z.boolean().default(false),
  useRollingUpgradePolicy: z.boolean().optional(),
  osRollingUpgradeDeferral: z.boolean().optional(),
});

const upgradePolicySpec = z.strictObject({
  mode: z.enum(['Automatic', 'Manual', 'Rolling']).default('Rolling'),
  rollingUpgradePolicy: rollingUpgradePolicySpec.optional(),
  automaticOSUpgradePolicy: automaticOSUpgradePolicySpec.optional(),
});

const scaleSetGroupSpec = z.strictObject({
  /** Name pattern: {region}, {n} (1-based index within the region) are substituted. */
  name: z.string().min(1),
  resourceGroup: z.string().min(1),
  regions: z.array(z.string()).optional(),
  countPerRegion: z.number().int().min(1).max(1000).default(1),
  instances: z.number().int().min(0).max(1000).default(2),
  orchestrationMode: z.enum(['Flexible', 'Uniform']).default('Flexible'),
  image: z.string().min(1),
  pinnedVersion: versionName.optional(),
  initialVersion: versionName.optional(),
  healthSource: z.enum(['extension', 'probe', 'both', 'none']).default('extension'),
  upgradePolicy: upgradePolicySpec.optional(),
  sku: z.string().default('Standard_D2s_v5'),
  zones: z.array(z.string()).optional(),
  tags: z.record(z.string(), z.string()).optional(),
});
export type ScaleSetGroupSpec = z.infer<typeof scaleSetGroupSpec>;

const versionSpec = z.strictObject({
  version: versionName,
  targetRegions: z.array(targetRegionSpec).optional(),
  excludeFromLatest: z.boolean().default(false),
  publishedDate: z.string().optional(),
});

const imageSpec = z.strictObject({
  name: z.string().min(1),
  osType: z.enum(['Linux', 'Windows']).default('Linux'),
  osState: z.enum(['Generalized', 'Specialized']).default('Generalized'),
  hyperVGeneration: z.enum(['V1', 'V2']).default('V2'),
  publisher: z.string().default('contoso'),
  offer: z.string().optional(),
  sku: z.string().optional(),
  versions: z.array(versionSpec).default([]),
});

const gallerySpec = z.strictObject({
  name: z.string().min(1),
  resourceGroup: z.string().min(1),
  location: z.string().min(1),
  images: z.array(imageSpec).min(1),
});

const imageTemplateSpec = z.strictObject({
  name: z.string().min(1),
  resourceGroup: z.string().min(1),
  location: z.string().optional(),
  image: z.string().min(1),
  buildDuration: duration.default('45m'),
  /** Versions that successive successful runs publish; after the list runs out, the patch number is bumped. */
  versions: z.array(versionName).optional(),
  /** Outcome of successive runs (the last one repeats). */
  outcomes: z.array(z.enum(['Succeeded', 'Failed'])).optional(),
  targetRegions: z.array(targetRegionSpec).optional(),
  excludeFromLatest: z.boolean().optional(),
});

/**
 * One health rule. It applies to an instance when the version, regions and scaleSets match and it is in force:
 * `from`/`until` are simulated time since the simulation start, `afterUpgrade` counts from the instance's
 * reimage to the version it runs (instances that start on a version count as reimaged to it before the start).
 * `unhealthyPercent` makes a seeded, exact share of each matching scale set unhealthy (⌈n × p / 100⌉ of its n
 * instances, the same ones for a seed) and never makes an instance healthy, so an outage adds to a broken
 * version; `healthy` and `unhealthyProbability` decide (the first that applies wins).
 */
export const healthRuleSpec = z
  .strictObject({
    version: z.string().default('*'),
    /** The gallery image definition (its name) the rule is about; default every image (version names repeat across images). */
    image: z.string().min(1).optional(),
    regions: z.array(z.string()).optional(),
    scaleSets: z.array(z.string()).optional(),
    healthy: z.boolean().optional(),
    unhealthyProbability: z.number().min(0).max(1).optional(),
    unhealthyPercent: z.number().min(0).max(100).optional(),
    afterUpgrade: duration.optional(),
    from: duration.optional(),
    until: duration.optional(),
  })
  .superRefine((r, ctx) => {
    const verdicts = (['healthy', 'unhealthyProbability', 'unhealthyPercent'] as const).filter((k) => r[k] !== undefined);
    if (verdicts.length > 1) {
      ctx.addIssue({ code: 'custom', path: [verdicts[1] ?? ''], message: `only one of healthy, unhealthyProbability and unhealthyPercent per rule (got ${verdicts.join(' and ')})` });
    }
    if (r.from !== undefined && r.until !== undefined && safeDuration(r.until) <= safeDuration(r.from)) {
      ctx.addIssue({ code: 'custom', path: ['until'], message: 'until must be later than from' });
    }
  });
export type HealthRuleSpec = z.infer<typeof healthRuleSpec>;

export const behaviourSpec = z.strictObject({
  detectionDelay: duration.optional(),
  detectionJitter: duration.optional(),
  replicationTime: duration.optional(),
  regionStagger: duration.optional(),
  reimageDuration: duration.optional(),
  healthSettle: duration.optional(),
  rollbackDuration: duration.optional(),
  osUpgradeHistoryLimit: z.number().int().min(1).max(100).optional(),
  /** Event Grid's delivery latency: each delivery attempt waits eventLatency + a seeded share of eventLatencyJitter. */
  eventLatency: duration.optional(),
  eventLatencyJitter: duration.optional(),
  replicationFailures: z.array(z.strictObject({ version: z.string(), region: z.string() })).optional(),
});
export type BehaviourSpec = z.infer<typeof behaviourSpec>;

/** A metric of a resource over simulated time: the value of each point holds until the next one. */
export const metricSeriesSpec = z
  .strictObject({
    resourceId: z.string().startsWith('/subscriptions/').optional(),
    scaleSet: z.string().optional(),
    name: z.string().min(1),
    unit: z.enum(['Percent', 'Count', 'Milliseconds', 'Seconds', 'CountPerSecond', 'Bytes']).default('Percent'),
    points: z.array(z.strictObject({ at: duration, value: z.number() })).min(1),
  })
  .refine((m) => (m.resourceId === undefined) !== (m.scaleSet === undefined), { error: 'a metric names exactly one of resourceId or scaleSet' });
export type MetricSeriesSpec = z.infer<typeof metricSeriesSpec>;

const severity = z.enum(['Sev0', 'Sev1', 'Sev2', 'Sev3', 'Sev4']);

/**
 * A moment the timeline waits for instead of a time from the start: the first rolling upgrade to `version` that
 * starts in `region` (platform- or user-started). `at` then counts from that moment. A story timed against the fleet's
 * progress (e.g. "published while the early ring's first batch is judged") stays the same story whatever the
 * controller's pace: with drive mode on and off, and with no controller at all.
 */
export const timelineTrigger = z.strictObject({
  upgradeStarts: z.strictObject({ version: versionName, region: z.string().min(1), image: z.string().min(1).optional() }),
});
export type TimelineTrigger = z.infer<typeof timelineTrigger>;

const at = { at: duration, when: timelineTrigger.optional() };
export const timelineActionSpec = z.discriminatedUnion('action', [
  z.strictObject({
    ...at,
    action: z.literal('publishVersion'),
    image: z.string(),
    version: versionName,
    targetRegions: z.array(targetRegionSpec).optional(),
    excludeFromLatest: z.boolean().optional(),
  }),
  z.strictObject({ ...at, action: z.literal('setTargetRegions'), image: z.string(), version: versionName, targetRegions: z.array(targetRegionSpec) }),
  z.strictObject({
    ...at,
    action: z.literal('setExcludeFromLatest'),
    image: z.string(),
    version: versionName,
    value: z.boolean(),
    region: z.string().optional(),
  }),
  z.strictObject({ ...at, action: z.literal('runImageTemplate'), template: z.string() }),
  z.strictObject({
    ...at,
    action: z.literal('makeUnhealthy'),
    scaleSet: z.string().optional(),
    region: z.string().optional(),
    percent: z.number().min(0).max(100).default(100),
    duration: duration.optional(),
  }),
  z.strictObject({ ...at, action: z.literal('startOSUpgrade'), scaleSet: z.string() }),
  // Azure Monitor: an alert rule fires (and resolves after `resolveAfter`), posted to every action group webhook
  // in the common alert schema.
  z.strictObject({
    ...at,
    action: z.literal('fireAlert'),
    rule: z.string().min(1),
    scaleSet: z.string().optional(),
    resourceId: z.string().startsWith('/subscriptions/').optional(),
    severity: severity.default('Sev2'),
    signalType: z.enum(['Metric', 'Log', 'Activity Log']).default('Metric'),
    description: z.string().optional(),
    resolveAfter: duration.optional(),
  }),
  // Capacity changes: new instances take the latest version their region can see (the pinned one for a pinned set),
  // as Azure creates scale-out instances from the image reference; scale-in removes the newest instances.
  z.strictObject({ ...at, action: z.literal('scaleOut'), scaleSet: z.string(), count: z.number().int().min(1).max(1000) }),
  z.strictObject({ ...at, action: z.literal('scaleIn'), scaleSet: z.string(), count: z.number().int().min(1).max(1000) }),
  // The set's imageReference names this version (null: the definition again, tracking latest), as a PATCH would.
  z.strictObject({ ...at, action: z.literal('pinScaleSet'), scaleSet: z.string(), version: versionName.nullable() }),
  // Faults with a time window: from `at` until `until` (both from the start), or for good.
  z.strictObject({ ...at, action: z.literal('armFault'), until: duration.optional(), ...armFaultSpec.shape }),
  z.strictObject({ ...at, action: z.literal('eventFault'), until: duration.optional(), ...eventFaultSpec.shape }),
  z.strictObject({ ...at, action: z.literal('cancelRollingUpgrade'), scaleSet: z.string() }),
  // A scale set created mid-run (a PUT): its instances take the latest version the region can see then (the pinned one
  // for a pinned set), as Azure creates them from the image reference.
  z.strictObject({ ...at, action: z.literal('createScaleSet'), region: z.string(), ...scaleSetGroupSpec.omit({ regions: true, countPerRegion: true, initialVersion: true }).shape }),
  // A PATCH of the rolling upgrade policy of one set or of every set of a region (e.g. a team's loose thresholds).
  z.strictObject({ ...at, action: z.literal('setRollingPolicy'), scaleSet: z.string().optional(), region: z.string().optional(), policy: rollingUpgradePolicySpec.partial() }),
]);
export type TimelineAction = z.infer<typeof timelineActionSpec>;

export const scenarioSpec = z.strictObject({
  name: z.string().optional(),
  description: z.string().optional(),
  seed: z.number().int().optional(),
  health: z.array(healthRuleSpec).optional(),
  behaviour: behaviourSpec.optional(),
  timeline: z.array(timelineActionSpec).optional(),
  metrics: z.array(metricSeriesSpec).optional(),
});
export type ScenarioSpec = z.infer<typeof scenarioSpec>;
export type ScenarioSpecInput = z.input<typeof scenarioSpec>;

export const fleetSpec = z.strictObject({
  name: z.string().optional(),
  description: z.string().optional(),
  subscriptionId: z.string().regex(/^[0-9a-f-]{36}$/i, 'a subscription id is a GUID'),
  tenantId: z.string().default('72f988bf-86f1-41af-91ab-2d7cd011db47'),
  startTime: z.string().datetime().default('2025-01-06T08:00:00Z'),
  seed: z.number().int().optional(),
  regions: z.array(z.string().min(1)).min(1),
  gallery: gallerySpec,
  scaleSets: z.array(scaleSetGroupSpec).default([]),
  imageTemplates: z.array(imageTemplateSpec).default([]),
  health: z.array(healthRuleSpec).default([]),
  behaviour: behaviourSpec.default({}),
  timeline: z.array(timelineActionSpec).default([]),
  metrics: z.array(metricSeriesSpec).default([]),
});
export type FleetSpec = z.infer<typeof fleetSpec>;
export type FleetSpecInput = z.input<typeof fleetSpec>;

export class SpecError extends Error {}

/**
 * One line per problem, unknown keys first (with the nearest known key), then what zod found; zod's own reports of
 * those unknown keys (and of a discriminator that is only misspelt) are left out.
 */
export function specIssueLines(schema: z.ZodType, input: unknown, issues: readonly z.core.$ZodIssue[], prefix: (string | number)[] = []): string[] {
  const keys = unknownKeys(schema, input, prefix);
  const at = (path: readonly PropertyKey[]): (string | number)[] => [...prefix, ...path.map((p) => (typeof p === 'number' ? p : String(p)))];
  const covered = new Set(keys.map((k) => formatSpecPath(k.path)));
  const rest = issues.filter((i) => {
    if (i.code === 'unrecognized_keys') return false;
    if (i.code === 'invalid_union' && covered.has(formatSpecPath(at(i.path.slice(0, -1))))) return false;
    return true;
  });
  return [...keys.map((k) => k.line), ...rest.map((i) => `${formatSpecPath(at(i.path))}: ${i.message}`)];
}

function formatIssues(schema: z.ZodType, input: unknown, issues: readonly z.core.$ZodIssue[], source: string): string {
  return [`invalid ${source}:`, ...specIssueLines(schema, input, issues).slice(0, 20).map((l) => `  at ${l}`)].join('\n');
}

function parseText(text: string, source: string): unknown {
  try {
    return source.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new SpecError(`${source}: cannot parse: ${(e as Error).message}`);
  }
}

export function parseFleet(input: unknown, source = 'fleet'): FleetSpec {
  const r = fleetSpec.safeParse(input);
  if (!r.success) throw new SpecError(formatIssues(fleetSpec, input, r.error.issues, source));
  const fleet = r.data;
  checkWindows(fleet.timeline, source);
  const images = new Set(fleet.gallery.images.map((i) => i.name.toLowerCase()));
  fleet.scaleSets.forEach((g, i) => {
    if (!images.has(g.image.toLowerCase())) {
      throw new SpecError(`invalid ${source}:\n  at scaleSets[${i}].image: no image definition named "${g.image}" in gallery ${fleet.gallery.name}`);
    }
  });
  return fleet;
}

export function parseScenario(input: unknown, source = 'scenario'): ScenarioSpec {
  const r = scenarioSpec.safeParse(input);
  if (!r.success) throw new SpecError(formatIssues(scenarioSpec, input, r.error.issues, source));
  checkWindows(r.data.timeline ?? [], source);
  return r.data;
}

/** A fault's window must end after it starts. */
function checkWindows(timeline: TimelineAction[], source: string): void {
  timeline.forEach((a, i) => {
    if ((a.action === 'armFault' || a.action === 'eventFault') && a.until !== undefined && a.when !== undefined) {
      throw new SpecError(`invalid ${source}:\n  at timeline[${i}].when: a fault with a window (until) is timed from the start, not from a trigger`);
    }
    if ((a.action === 'armFault' || a.action === 'eventFault') && a.until !== undefined && safeDuration(a.until) <= safeDuration(a.at)) {
      throw new SpecError(`invalid ${source}:\n  at timeline[${i}].until: a fault's window must end after it starts (at ${a.at})`);
    }
  });
}

export function loadFleetFile(path: string): FleetSpec {
  return parseFleet(parseText(readFileSync(path, 'utf8'), path), path);
}
export function loadScenarioFile(path: string): ScenarioSpec {
  return parseScenario(parseText(readFileSync(path, 'utf8'), path), path);
}

/** Applies a scenario on top of a fleet: health rules and timeline are appended, behaviour keys override. */
export function mergeScenario(fleet: FleetSpec, scenario: ScenarioSpec): FleetSpec {
  return {
    ...fleet,
    seed: scenario.seed ?? fleet.seed,
    health: [...(scenario.health ?? []), ...fleet.health],
    behaviour: { ...fleet.behaviour, ...(scenario.behaviour ?? {}) },
    timeline: [...fleet.timeline, ...(scenario.timeline ?? [])],
    metrics: [...fleet.metrics, ...(scenario.metrics ?? [])],
  };
}
