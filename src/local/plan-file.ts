/** Reading a plan file (YAML or JSON) with errors that name the file, the line or the field. */
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { validatePlan, type PlanError, type ReleasePlan } from '../core';

export type PlanFileResult = { ok: true; plan: ReleasePlan } | { ok: false; errors: PlanError[] };

export function readPlanFile(file: string): PlanFileResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { ok: false, errors: [{ path: file, message: `cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})` }] };
  }
  // YAML is a superset of JSON, so one parser reads both.
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    return { ok: false, errors: doc.errors.map((e) => ({ path: `${file}:${e.linePos?.[0]?.line ?? '?'}`, message: e.message.split('\n')[0] ?? e.message })) };
  }
  return validatePlan(doc.toJS());
}

/** Loads a plan or throws one Error listing every problem (for commands that need a valid plan). */
export function loadPlanOrThrow(file: string): ReleasePlan {
  const result = readPlanFile(file);
  if (result.ok) return result.plan;
  throw new Error(`${file} is not a valid plan:\n${result.errors.map((e) => `  ${e.path}: ${e.message}`).join('\n')}`);
}
