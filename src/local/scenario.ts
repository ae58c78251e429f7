/**
 * Rehearsal scenarios (examples/scenarios/*.yaml): a fleet, a plan, the versions a pipeline publishes,
 * what goes wrong, what an operator does, and the outcome the rehearsal must see. See
 * docs/rehearsal.md for the format.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { parseDuration, type Phase } from '../core';
import { formatPath } from '../core/plan';

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
  /** Extra simulator behaviour: health rules, replication failures, unrelated unhealthiness (the simulator's scenario format). */
  sim: z.record(z.string(), z.unknown()).optional(),
  operator: z.array(z.strictObject({ version, when: phase, after: duration.optional(), action: z.enum(['pause', 'resume', 'approve', 'promote', 'abort', 'demote']), actor: z.string().default('rehearsal-operator@contoso.com') })).default([]),
  chat: z.strictObject({ teams: z.enum(['up', 'down', 'slow']).default('up'), slack: z.enum(['up', 'down', 'slow']).default('up') }).default({ teams: 'up', slack: 'up' }),
  /** The notices a bad version's demotion must reach, etc. */
  expect: z.strictObject({
    releases: z.array(z.strictObject({ version, finalState: phase, demotedInRing: z.string().optional() })),
    maxInstancesOnVersionOutsideOpenRings: z.number().int().nonnegative().default(0),
    notifications: z.array(z.strictObject({ event: z.string(), version, delivered: z.boolean().default(true) })).default([]),
    /** The bad version must reach at most this share of Azure alone's instances (blast radius ratio). */
    maxBlastRadiusRatio: z.number().positive().optional(),
  }),
});

export type Scenario = z.output<typeof scenarioSchema> & { file: string; fleetFile: string; planFile: string; badVersions: string[] };

export const SCENARIO_DIR = 'examples/scenarios';

/** Loads a scenario by name (examples/scenarios/NAME.yaml) or path; errors name the field. */
export function loadScenario(nameOrFile: string, root = process.cwd()): Scenario {
  const file = /[./\\]/.test(nameOrFile) ? resolve(root, nameOrFile) : join(root, SCENARIO_DIR, `${nameOrFile}.yaml`);
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read scenario ${file}: ${(err as Error).message}`);
  }
  const r = scenarioSchema.safeParse(doc);
  if (!r.success) throw new Error(`${file} is not a valid scenario:\n${r.error.issues.map((i) => `  ${formatPath(i.path)}: ${i.message}`).join('\n')}`);
  const here = dirname(file);
  const at = (p: string) => (isAbsolute(p) ? p : join(here, p));
  const badVersions = r.data.expect.releases.filter((x) => x.finalState === 'demoted').map((x) => x.version);
  return { ...r.data, file, fleetFile: at(r.data.fleet), planFile: at(r.data.plan), badVersions };
}

export const SCENARIO_NAMES = ['payments', 'monthly-rebake', 'unrelated-unhealthy', 'notify-down', 'replication-failed', 'operator'];

export type { Phase };
