/**
 * Rehearsal scenarios (examples/scenarios/*.yaml): a fleet, a plan, the versions a pipeline publishes,
 * what goes wrong, what an operator does, and the outcome the rehearsal must see. See
 * docs/rehearsal.md for the format.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { OPERATOR_ACTIONS, parseDuration, type Phase } from '../core';
import { brokenVersions } from '../sim/behaviour';
import { loadFleetFile, scenarioSpec, specIssueLines } from '../sim/fleet-spec';

const duration = z.string().refine((s) => parseDuration(s) !== undefined, { error: 'expected a duration like "30m"' });
const version = z.string().regex(/^\d+\.\d+\.\d+$/, { error: 'expected a version like 1.7.0' });
const phase = z.enum(['pending', 'staging', 'opening', 'upgrading', 'soaking', 'awaiting-approval', 'held', 'paused', 'completed', 'demoted', 'aborted', 'superseded', 'failed']);

export const scenarioSchema = z.strictObject({
  name: z.string(),
  description: z.string().default(''),
  fleet: z.string(),
  plan: z.string(),
  /** Simulated time the rehearsal may take at most. */
  duration: duration.default('12h'),
  /** Simulated time per lockstep step. */
  step: duration.default('30s'),
  /** Versions the build pipeline publishes (with the plan's convention; Azure alone: everywhere, not excluded). */
  publish: z.array(z.strictObject({ at: duration, version })).default([]),
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
    notifications: z.array(z.strictObject({ event: z.string(), version, delivered: z.boolean().default(true) })).default([]),
    /** The bad version must reach at most this share of Azure alone's instances (blast radius ratio). */
    maxBlastRadiusRatio: z.number().positive().optional(),
  }),
});

export type Scenario = z.output<typeof scenarioSchema> & { file: string; fleetFile: string; planFile: string; badVersions: string[] };

export const SCENARIO_DIR = 'examples/scenarios';

/** A scenario file that cannot be read or is not valid: bad usage (exit 2), one line per problem. */
export class ScenarioError extends Error {}

/**
 * Loads a scenario by name (ROOT/examples/scenarios/NAME.yaml) or by path (anything with a dot or a slash),
 * resolved against `cwd` (default: `root`; the CLI passes the current directory); errors name the field and
 * suggest the nearest key.
 */
export function loadScenario(nameOrFile: string, root = process.cwd(), cwd = root): Scenario {
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
  // "Bad" is what the fleet's health model says, not what the scenario expects Ringmaster to decide.
  const versions = [...new Set([...r.data.publish.map((p) => p.version), ...r.data.expect.releases.map((x) => x.version), ...(r.data.rebakeAt.length > 0 ? fleet.imageTemplates.flatMap((t) => t.versions ?? []) : [])])];
  const badVersions = brokenVersions([...(r.data.sim?.health ?? []), ...fleet.health], versions);
  return { ...r.data, file, fleetFile, planFile: at(r.data.plan), badVersions };
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
