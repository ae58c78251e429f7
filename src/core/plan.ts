/**
 * The release plan: what a platform team writes (YAML or JSON) to tell Ringmaster how one gallery image
 * definition is released. Validated with zod; every error names the path of the bad field, e.g.
 * `rings[2].soak: expected a duration like "30m"`.
 *
 * Pure: parsing text into a value is the caller's job (the CLI reads files, the shell reads settings).
 */
import { z } from 'zod';
import { parseDuration } from './duration';
import { pairsIn, splitPairs } from './region-pairs';

/** Notice kinds a route can subscribe to. */
export const NOTICE_KINDS = [
  'started',
  'ring-opened',
  'ring-passed',
  'awaiting-approval',
  'held',
  'paused',
  'resumed',
  'demoting',
  'demoted',
  'completed',
  'aborted',
  'superseded',
  'failed',
  'rebake-succeeded',
  'rebake-failed',
] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];

export const BREACH_SOURCES = ['platform-fault', 'unhealthy-percent', 'alert', 'metric'] as const;
export type BreachSource = (typeof BREACH_SOURCES)[number];

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const ARM_SEGMENT = '[^/]+';
const IMAGE_DEFINITION_ID = new RegExp(
  `^/subscriptions/${ARM_SEGMENT}/resourceGroups/${ARM_SEGMENT}/providers/Microsoft\\.Compute/galleries/${ARM_SEGMENT}/images/${ARM_SEGMENT}$`,
  'i',
);
const SCALE_SET_ID = new RegExp(
  `^/subscriptions/${ARM_SEGMENT}/resourceGroups/${ARM_SEGMENT}/providers/Microsoft\\.Compute/virtualMachineScaleSets/${ARM_SEGMENT}$`,
  'i',
);
const IMAGE_TEMPLATE_ID = new RegExp(
  `^/subscriptions/${ARM_SEGMENT}/resourceGroups/${ARM_SEGMENT}/providers/Microsoft\\.VirtualMachineImages/imageTemplates/${ARM_SEGMENT}$`,
  'i',
);

/** The longest duration a plan may state (a soak, a window, a timeout): keeps every computed time valid. */
export const MAX_PLAN_DURATION = '30d';
const duration = z
  .string({ error: 'expected a duration like "30m"' })
  .refine((s) => parseDuration(s) !== undefined, { error: 'expected a duration like "30m"' })
  .refine((s) => (parseDuration(s) ?? 0) <= parseDuration(MAX_PLAN_DURATION)!, { error: `expected a duration like "30m", at most ${MAX_PLAN_DURATION}` });

const region = z
  .string({ error: 'expected an Azure region name like "eastus"' })
  .regex(/^[a-z][a-z0-9]+$/, { error: 'expected an Azure region name like "eastus" (lower case, no spaces)' });

const secretName = z.string({ error: 'expected a secret name' }).check((ctx) => {
  if (/^[a-z]+:\/\//i.test(ctx.value)) {
    ctx.issues.push({ code: 'custom', input: ctx.value, message: 'expected a secret name (a setting or Key Vault secret), never a URL' });
  } else if (!/^[A-Za-z0-9][A-Za-z0-9-]{0,126}$/.test(ctx.value)) {
    ctx.issues.push({ code: 'custom', input: ctx.value, message: 'expected a secret name of letters, digits and dashes' });
  }
});

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: 'expected a time like "08:00"' });

const ringSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/i, { error: 'expected a ring name of letters, digits and dashes' }),
  regions: z.array(region).min(1, { error: 'a ring needs at least one region' }),
  scaleSets: z
    .array(z.string().regex(SCALE_SET_ID, { error: 'expected a scale set resource id' }))
    .optional(),
  selector: z.string().min(1).optional(),
  soak: duration.default('0s'),
  approval: z.enum(['required', 'none']).default('none'),
  startOsUpgrade: z.boolean().default(false),
  /** Drive mode's one-box in the first ring: the scale set (name or resource id) started before the rest. */
  firstScaleSet: z.string().min(1).optional(),
  /** Opt out of the region-pair check for this ring (plan validate warns). */
  allowPairedRegions: z.boolean().default(false),
});

const metricGateSchema = z.strictObject({
  name: z.string().min(1),
  metric: z.string().min(1),
  resourceId: z.string().startsWith('/subscriptions/', { error: 'expected a resource id' }).optional(),
  aggregation: z.enum(['Average', 'Maximum', 'Minimum', 'Total', 'Count']).default('Average'),
  operator: z.enum(['>', '>=', '<', '<=']),
  threshold: z.number(),
  window: duration.default('5m'),
});

const healthSchema = z.strictObject({
  maxUnhealthyUpgradedInstancePercent: z.number().min(0).max(100).default(20),
  breachOn: z.array(z.enum(BREACH_SOURCES)).default([...BREACH_SOURCES]),
  onWholeSetUnhealthy: z.enum(['pause', 'demote']).default('pause'),
  /** A ring region with no scale set that tracks latest proves nothing: hold for a person, skip it, or fail. */
  emptyRing: z.enum(['hold', 'skip', 'fail']).default('hold'),
  warmUp: duration.default('10m'),
  upgradeTimeout: duration.default('6h'),
  /**
   * How often instance evidence (each instance's health and version) is read while a ring upgrades and soaks, at
   * the most: the release wakes this often when nothing else wakes it. 1m–1h: each read lists the ring's sets.
   */
  evidenceEvery: duration
    .refine((s) => (parseDuration(s) ?? 0) >= 60_000 && (parseDuration(s) ?? 0) <= 3_600_000, { error: 'expected a duration from 1m to 1h' })
    .default('5m'),
  /**
   * How often, while an upgrade the platform started rolls forward in the ring (Azure raises no event when it
   * halts), the release reads the rolling upgrades of its sets. 10s–5m, slowed to ARM's read budget (polling.ts).
   */
  pollEvery: duration
    .refine((s) => (parseDuration(s) ?? 0) >= 10_000 && (parseDuration(s) ?? 0) <= 300_000, { error: 'expected a duration from 10s to 5m' })
    .default('30s'),
  alerts: z.array(z.string().min(1)).default([]),
  metrics: z.array(metricGateSchema).default([]),
});

const budgetSchema = z.strictObject({
  maxInstancesOnUnprovenVersion: z.union([
    z.number().int().positive(),
    z.string().regex(/^(100|[1-9]?\d)(\.\d+)?%$/, { error: 'expected a count or a percentage like "10%"' }),
  ]),
});

const windowSchema = z.strictObject({
  days: z.array(z.enum(WEEKDAYS)).min(1),
  from: hhmm,
  to: hhmm,
  timeZone: z
    .string()
    .default('UTC')
    .refine(isTimeZone, { error: 'expected an IANA time zone like "Europe/London"' }),
});

const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)) && /\d{4}-\d{2}-\d{2}T/.test(s), {
  error: 'expected an ISO 8601 time like "2026-12-20T00:00:00Z"',
});

const freezeSchema = z.strictObject({ from: isoTime, to: isoTime, reason: z.string().optional() });

const routeSchema = z
  .strictObject({
    on: z.array(z.enum(NOTICE_KINDS)).min(1),
    rings: z.array(z.string()).optional(),
    teams: secretName.optional(),
    slack: secretName.optional(),
    /** Slack Web API with a bot token: one thread per release in `channel` (the token's secret name, never the token). */
    slackThread: z
      .strictObject({
        tokenSecret: secretName,
        channel: z.string().regex(/^[CDG][A-Z0-9]{8,}$/, { error: 'expected a Slack channel id like "C0123456789" (not a #name: a name can change, a thread belongs to an id)' }),
      })
      .optional(),
  })
  .refine((r) => [r.teams, r.slack, r.slackThread].filter((x) => x !== undefined).length === 1, {
    error: 'a route names exactly one of teams, slack or slackThread',
  });

const rebakeSchema = z.strictObject({
  schedule: z
    .string()
    .refine((s) => s.trim().split(/\s+/).length === 6, {
      error: 'expected a six-field NCRONTAB schedule like "0 0 3 1 * *"',
    }),
  imageTemplate: z.string().regex(IMAGE_TEMPLATE_ID, { error: 'expected an Image Builder template resource id' }),
});

export const releasePlanSchema = z
  .strictObject({
    name: z.string().optional(),
    image: z.string({ error: 'expected the gallery image definition resource id' }).regex(IMAGE_DEFINITION_ID, {
      error: 'expected a gallery image definition id like /subscriptions/…/galleries/G/images/I',
    }),
    lever: z.enum(['regional-flag', 'replication']).default('regional-flag'),
    /**
     * `on` (default): Ringmaster starts the OS upgrades itself when a ring opens (one set first in the canary, the
     * rest once its first batch is healthy; later rings all at once) instead of waiting for the platform's pickup.
     * `off`: the platform picks the new latest up on its own, 30–60 minutes later.
     */
    drive: z.enum(['on', 'off']).default('on'),
    /**
     * Four eyes: a ring's approval must come from someone other than whoever promoted the ring before it (ended
     * its soak early) or approved it: one person cannot push a version through two gates alone.
     */
    fourEyes: z.boolean().default(false),
    rings: z.array(ringSchema).min(1, { error: 'a plan needs at least one ring' }),
    health: healthSchema.default(() => healthSchema.parse({})),
    budget: budgetSchema.optional(),
    windows: z.array(windowSchema).default([]),
    freezes: z.array(freezeSchema).default([]),
    notify: z.array(routeSchema).default([]),
    rebake: rebakeSchema.optional(),
  })
  .superRefine((plan, ctx) => {
    const seenRings = new Set<string>();
    const regionRing = new Map<string, string>();
    plan.rings.forEach((ring, i) => {
      if (seenRings.has(ring.name)) {
        ctx.addIssue({ code: 'custom', path: ['rings', i, 'name'], message: `ring name "${ring.name}" is used twice` });
      }
      seenRings.add(ring.name);
      ring.regions.forEach((r, j) => {
        const other = regionRing.get(r);
        if (other !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['rings', i, 'regions', j],
            message: `region "${r}" is already in ring "${other}"; a region belongs to one ring`,
          });
        } else regionRing.set(r, ring.name);
      });
    });
    plan.rings.forEach((ring, i) => {
      if (ring.allowPairedRegions) return;
      const pairs = pairsIn(ring.regions);
      if (pairs.length === 0) return;
      const [a, b] = splitPairs(ring.regions);
      ctx.addIssue({
        code: 'custom',
        path: ['rings', i, 'regions'],
        message: `${pairs.map(([x, y]) => `${x} and ${y}`).join('; ')} ${pairs.length === 1 ? 'are an Azure region pair' : 'are Azure region pairs'}: Azure never updates both halves of a pair in one phase, and a bad image in both takes away each one's disaster-recovery partner. Split the ring: ${ring.name}-a: [${a.join(', ')}], ${ring.name}-b: [${b.join(', ')}] — or set allowPairedRegions: true on it`,
      });
    });
    plan.rings.forEach((ring, i) => {
      if (i > 0 && ring.firstScaleSet !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['rings', i, 'firstScaleSet'], message: `only the first ring goes one-box; ${ring.name} starts all its sets at once` });
      }
    });
    plan.notify.forEach((route, i) => {
      route.rings?.forEach((name, j) => {
        if (!seenRings.has(name)) {
          ctx.addIssue({ code: 'custom', path: ['notify', i, 'rings', j], message: `no ring is named "${name}"` });
        }
      });
    });
    plan.freezes.forEach((f, i) => {
      if (Date.parse(f.to) <= Date.parse(f.from)) {
        ctx.addIssue({ code: 'custom', path: ['freezes', i, 'to'], message: 'a freeze must end after it starts' });
      }
    });
  });

export type ReleasePlan = z.output<typeof releasePlanSchema>;
export type PlanInput = z.input<typeof releasePlanSchema>;
export type Ring = ReleasePlan['rings'][number];
export type NotifyRoute = ReleasePlan['notify'][number];
export type MaintenanceWindow = ReleasePlan['windows'][number];

export interface PlanError {
  path: string;
  message: string;
}

export type PlanResult = { ok: true; plan: ReleasePlan } | { ok: false; errors: PlanError[] };

/** Validates an already-parsed document (from YAML or JSON). Never throws. */
export function validatePlan(doc: unknown): PlanResult {
  const result = releasePlanSchema.safeParse(doc);
  if (result.success) return { ok: true, plan: result.data };
  return {
    ok: false,
    errors: result.error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })),
  };
}

/** Warnings for a valid plan: rings that opted out of the region-pair check and hold a pair. */
export function pairWarnings(plan: ReleasePlan): string[] {
  return plan.rings.flatMap((ring, i) =>
    ring.allowPairedRegions ? pairsIn(ring.regions).map(([a, b]) => `rings[${i}] ${ring.name}: ${a} and ${b} are an Azure region pair, in one ring (allowPairedRegions): ${b} opens once ${a}'s upgrades completed healthy`) : [],
  );
}

/** ['rings', 2, 'soak'] → "rings[2].soak"; [] → "(plan)". */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(plan)' : out;
}

/** The plan's display name: its `name`, else the image definition's last segment. */
export function planName(plan: ReleasePlan): string {
  return plan.name ?? plan.image.split('/').at(-1) ?? plan.image;
}

/** Every region named by the plan, ring by ring. */
export function planRegions(plan: ReleasePlan): string[] {
  return plan.rings.flatMap((r) => r.regions);
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
