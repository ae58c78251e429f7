/**
 * Rehearsal scenarios (examples/scenarios/*.yaml): a fleet, a plan, the versions a pipeline publishes,
 * what goes wrong, what an operator does, and the outcome the rehearsal must see. See
 * docs/rehearsal.md for the format.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { OPERATOR_ACTIONS, parseDuration, type Phase, type ReleasePlan } from '../core';
import { parseGalleryImageId, parseGalleryImageVersionId } from '../azure/resource-ids';
import { readPlanFile } from './plan-file';
import { brokenVersions } from '../sim/behaviour';
import { loadFleetFile, scenarioSpec, specIssueLines, timelineTrigger } from '../sim/fleet-spec';

const duration = z.string().refine((s) => parseDuration(s) !== undefined, { error: 'expected a duration like "30m"' });
const version = z.string().regex(/^\d+\.\d+\.\d+$/, { error: 'expected a version like 1.7.0' });
/** A gallery image definition's name (the last segment of a plan's `image`). */
const imageName = z.string().min(1);
const phase = z.enum(['pending', 'staging', 'opening', 'upgrading', 'soaking', 'awaiting-approval', 'held', 'paused', 'completed', 'demoted', 'aborted', 'superseded', 'failed']);

export const scenarioSchema = z.strictObject({
  name: z.string(),
  description: z.string().default(''),
  fleet: z.string(),
  /** The release plan, or several (one per image definition): files relative to this one. */
  plan: z.union([z.string(), z.array(z.string()).min(1)]),
  /** Simulated time the rehearsal may take at most. */
  duration: duration.default('12h'),
  /** Simulated time per lockstep step. */
  step: duration.default('30s'),
  /**
   * Versions the build pipeline publishes (with the plan's convention; Azure alone: everywhere, not excluded), at a
   * simulated time from the start, or `at` after `when`: the first rolling upgrade to a version in a region (the same
   * image unless it names one), so a story timed against the fleet's progress is the same story in every run.
   */
  publish: z.array(z.strictObject({ at: duration, when: timelineTrigger.optional(), version, image: imageName.optional() })).default([]),
  /** Image Builder runs started by the app's monthly timer at these simulated times. */
  rebakeAt: z.array(duration).default([]),
  /** Extra simulator behaviour: health rules, behaviour, timeline — the simulator's own strict scenario format. */
  sim: scenarioSpec.optional(),
  /**
   * The title of the issue whose fix this scenario waits for. The rehearsal still runs it; failing is expected
   * (exit 0, said so), passing is news (exit 1: remove the marker).
   */
  expectedToFail: z.string().min(1).optional(),
  /** The ledger's storage (Azurite) goes down at `at` for `for`: connections refused and dropped, then back. */
  storageOutages: z.array(z.strictObject({ at: duration, for: duration })).default([]),
  /** Kill the local runtime at these simulated times and start it again (as `--restart-at` does; both add up). */
  restartAt: z.array(duration).default([]),
  /**
   * What the on-call does through the HTTP API: once the release is in phase `when` (and `after` has passed), or at
   * the simulated time `at` exactly — mid-round, if a round runs then, as a real click would be.
   */
  operator: z
    .array(
      z
        .strictObject({
          version,
          image: imageName.optional(),
          when: phase.optional(),
          after: duration.optional(),
          at: duration.optional(),
          action: z.enum(OPERATOR_ACTIONS),
          actor: z.string().default('rehearsal-operator@contoso.com'),
        })
        .refine((o) => (o.when === undefined) !== (o.at === undefined), { error: 'an operator action names exactly one of when (a phase) or at (a simulated time)' }),
    )
    .default([]),
  chat: z.strictObject({ teams: z.enum(['up', 'down', 'slow']).default('up'), slack: z.enum(['up', 'down', 'slow']).default('up') }).default({ teams: 'up', slack: 'up' }),
  /** The notices a bad version's demotion must reach, etc. */
  expect: z.strictObject({
    releases: z.array(
      z.strictObject({
        version,
        /** The image definition's name; needed when the scenario has several plans. */
        image: imageName.optional(),
        finalState: phase,
        /** The last ring it opened (for a demoted release: where it was stopped). */
        demotedInRing: z.string().optional(),
        stoppedInRing: z.string().optional(),
        /** Rings it must never open. */
        neverOpens: z.array(z.string()).default([]),
        /** At most this many instances ever ran it, in all, and per region. */
        maxInstances: z.number().int().nonnegative().optional(),
        maxInstancesPerRegion: z.record(z.string(), z.number().int().nonnegative()).default({}),
        /** At most this many accepted demote writes (excludeFromLatest on the version). */
        maxDemoteWrites: z.number().int().nonnegative().optional(),
        /**
         * Region pairs it must never roll out to at once: at no time are both regions part-way (some of their
         * instances on the version, not all), e.g. [[northeurope, westeurope]], an Azure pair.
         */
        neverTogether: z.array(z.tuple([z.string(), z.string()])).default([]),
        /** Findings it must report (each a piece of the text, e.g. "pins 1.6.4"). */
        findings: z.array(z.string().min(1)).default([]),
        /** A piece of the demotion's cause, e.g. "instance evidence" or "clearly worse than". */
        causeIncludes: z.string().min(1).optional(),
      }),
    ),
    /** Windows (from the start) in which no instance may change version: no reimage, with Ringmaster. */
    noReimage: z.array(z.strictObject({ from: duration, until: duration, regions: z.array(z.string()).optional() })).default([]),
    /** At most this many delivered notices of a kind (over every version), e.g. { demoted: 2 }. */
    maxNotices: z.record(z.string(), z.number().int().nonnegative()).default({}),
    maxInstancesOnVersionOutsideOpenRings: z.number().int().nonnegative().default(0),
    notifications: z.array(z.strictObject({ event: z.string(), version, image: imageName.optional(), delivered: z.boolean().default(true) })).default([]),
    /** The bad version must reach at most this share of Azure alone's instances (blast radius ratio). */
    maxBlastRadiusRatio: z.number().positive().optional(),
  }),
});

type Raw = z.output<typeof scenarioSchema>;
type WithImage<T> = T & { image: string };

/**
 * A loaded scenario: every plan read and valid, every publication, operator action and expectation naming the
 * image it is about (given, or the only plan's), and the releases the fleet's health model makes bad.
 */
export type Scenario = Omit<Raw, 'plan' | 'publish' | 'operator' | 'expect'> & {
  file: string;
  fleetFile: string;
  plans: { file: string; plan: ReleasePlan; image: string }[];
  publish: WithImage<Raw['publish'][number]>[];
  operator: WithImage<Raw['operator'][number]>[];
  expect: Omit<Raw['expect'], 'releases' | 'notifications'> & { releases: WithImage<Raw['expect']['releases'][number]>[]; notifications: WithImage<Raw['expect']['notifications'][number]>[] };
  /** Releases (`releaseKey`) whose version the fleet's health rules make unhealthy somewhere. */
  bad: string[];
};

/** A release of a rehearsal: an image definition's name and a version name (two images may share version names). */
export const releaseKey = (image: string, version: string): string => `${image}@${version}`;

/** The plan of an image of the scenario (loadScenario checked that every entry's image has one). */
export function planOf(s: Pick<Scenario, 'plans'>, image: string): ReleasePlan {
  return (s.plans.find((p) => p.image === image) ?? s.plans[0]!).plan;
}

/** How a release is named to people: its version, with its image when the scenario has several. */
export function releaseLabel(s: Pick<Scenario, 'plans'>, image: string, version: string): string {
  return s.plans.length > 1 ? `${image} ${version}` : version;
}

/** The image definition's name of a gallery image (a plan's `image`) or of one of its versions. */
export function imageNameOf(id: string): string {
  return (parseGalleryImageVersionId(id) ?? parseGalleryImageId(id))?.image ?? id;
}

export const SCENARIO_DIR = 'examples/scenarios';

/** A scenario file that cannot be read or is not valid: bad usage (exit 2), one line per problem. */
export class ScenarioError extends Error {}

/**
 * Loads a scenario by name (ROOT/examples/scenarios/NAME.yaml) or by path (anything with a dot or a slash),
 * resolved against `cwd` (default: `root`; the CLI passes the current directory); errors name the field and
 * suggest the nearest key.
 */
export function loadScenario(nameOrFile: string, root = process.cwd(), cwd = root, override: { plan?: string } = {}): Scenario {
  const byPath = /[./\\]/.test(nameOrFile);
  const file = byPath ? resolve(cwd, nameOrFile) : join(root, SCENARIO_DIR, `${nameOrFile}.yaml`);
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const known = byPath ? '' : ` (ringmaster rehearse --list shows the library)`;
    throw new ScenarioError(`cannot read scenario ${file}: ${(err as Error).message}${known}`);
  }
  const r = scenarioSchema.safeParse(doc);
  if (!r.success) throw new ScenarioError(`${file} is not a valid scenario:\n${specIssueLines(scenarioSchema, doc, r.error.issues).map((l) => `  ${l}`).join('\n')}`);
  const here = dirname(file);
  const at = (p: string) => (isAbsolute(p) ? p : join(here, p));
  const fleetFile = at(r.data.fleet);
  let fleet: ReturnType<typeof loadFleetFile>;
  try {
    fleet = loadFleetFile(fleetFile);
  } catch (err) {
    throw new ScenarioError(`${file}: its fleet ${fleetFile} cannot be used:\n  ${(err as Error).message}`);
  }
  const planFiles = override.plan ? [resolve(cwd, override.plan)] : (typeof r.data.plan === 'string' ? [r.data.plan] : r.data.plan).map(at);
  const plans = planFiles.map((f) => {
    const read = readPlanFile(f);
    if (!read.ok) throw new ScenarioError(`${file}: its plan ${f} is not valid:\n${read.errors.map((e) => `  ${e.path}: ${e.message}`).join('\n')}`);
    return { file: f, plan: read.plan, image: imageNameOf(read.plan.image) };
  });
  const images = plans.map((p) => p.image);
  const problems: string[] = [];
  /** The image an entry is about: its own, or the only plan's; with several plans it must say. */
  const imageOf = (where: string, given: string | undefined): string => {
    if (given !== undefined) {
      if (!images.includes(given)) problems.push(`${where}.image: ${given} is not the image of a plan of this scenario (${images.join(', ')})`);
      return given;
    }
    if (images.length > 1) problems.push(`${where}.image: required when the scenario has several plans (${images.join(', ')})`);
    return images[0]!;
  };
  const publish = r.data.publish.map((p, i) => ({ ...p, image: imageOf(`publish[${i}]`, p.image) }));
  const operator = r.data.operator.map((o, i) => ({ ...o, image: imageOf(`operator[${i}]`, o.image) }));
  const releases = r.data.expect.releases.map((x, i) => ({ ...x, image: imageOf(`expect.releases[${i}]`, x.image) }));
  const notifications = r.data.expect.notifications.map((x, i) => ({ ...x, image: imageOf(`expect.notifications[${i}]`, x.image) }));
  if (problems.length) throw new ScenarioError(`${file} is not a valid scenario:\n${problems.map((l) => `  ${l}`).join('\n')}`);
  // "Bad" is what the fleet's health model says, not what the scenario expects Ringmaster to decide.
  const rules = [...(r.data.sim?.health ?? []), ...fleet.health];
  const rebuilt = r.data.rebakeAt.length > 0 ? fleet.imageTemplates.flatMap((t) => (t.versions ?? []).map((version) => ({ image: t.image, version }))) : [];
  const bad = images.flatMap((image) => {
    const versions = [...new Set([...publish, ...releases, ...rebuilt].filter((x) => x.image.toLowerCase() === image.toLowerCase()).map((x) => x.version))];
    return brokenVersions(rules, versions, image).map((v) => releaseKey(image, v));
  });
  return { ...r.data, file, fleetFile, plans, publish, operator, expect: { ...r.data.expect, releases, notifications }, bad };
}

/** The scenario library (ROOT/examples/scenarios), sorted by name: what `rehearse --list` prints. */
export function listScenarios(root: string): { name: string; description: string; expectedToFail: string | undefined }[] {
  const dir = join(root, SCENARIO_DIR);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => {
      const s = loadScenario(join(dir, f), root, dir);
      return { name: f.slice(0, -'.yaml'.length), description: s.description, expectedToFail: s.expectedToFail };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * What a rehearsal's outcome means for its scenario. Worked examples: no marker, failed → `failed` (exit 1);
 * marked expectedToFail, failed → `failed-as-expected` (exit 0); marked, passed → `unexpectedly-passed` (exit 1:
 * the issue may be fixed, remove the marker).
 */
export type Verdict =
  | { kind: 'passed' }
  | { kind: 'failed' }
  | { kind: 'failed-as-expected'; issue: string }
  | { kind: 'unexpectedly-passed'; issue: string };

export function verdictOf(s: Pick<Scenario, 'expectedToFail'>, outcome: 'passed' | 'failed'): Verdict {
  if (s.expectedToFail === undefined) return { kind: outcome };
  return outcome === 'failed' ? { kind: 'failed-as-expected', issue: s.expectedToFail } : { kind: 'unexpectedly-passed', issue: s.expectedToFail };
}

export const exitCodeOf = (v: Verdict): number => (v.kind === 'passed' || v.kind === 'failed-as-expected' ? 0 : 1);

export type { Phase };
