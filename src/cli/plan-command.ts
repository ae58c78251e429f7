/** `ringmaster plan validate FILE`: ok and a summary of rings, or every error with its path. */
import { formatDuration, pairWarnings, parseDuration, planName } from '../core';
import { readPlanFile } from '../local/plan-file';

export const PLAN_HELP = `Usage: ringmaster plan validate FILE

Checks a release plan (YAML or JSON) against the plan schema.
Prints "ok" and a summary of the rings, or every error with the path of the
bad field (for example  rings[2].soak: expected a duration like "30m")
and exits 1.

Example:
  ringmaster plan validate examples/payments.yaml
`;

export function runPlanCommand(argv: string[], out: (s: string) => void = console.log): number {
  const [sub, file, ...rest] = argv;
  if (sub === '--help' || sub === '-h' || sub === undefined) {
    out(PLAN_HELP);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'validate' || !file || rest.length > 0) {
    out(`ringmaster plan: expected "validate FILE", got "${argv.join(' ')}"\n\n${PLAN_HELP}`);
    return 2;
  }
  const result = readPlanFile(file);
  if (!result.ok) {
    out(`${file}: ${result.errors.length} error${result.errors.length === 1 ? '' : 's'}`);
    for (const e of result.errors) out(`  ${e.path}: ${e.message}`);
    return 1;
  }
  const plan = result.plan;
  out('ok');
  out(`plan ${planName(plan)} (lever ${plan.lever}, limit ${plan.health.maxUnhealthyUpgradedInstancePercent} % unhealthy upgraded, on whole-set unhealthy: ${plan.health.onWholeSetUnhealthy})`);
  plan.rings.forEach((r, i) => {
    const soak = formatDuration(parseDuration(r.soak) ?? 0);
    out(`  ring ${i} ${r.name}: ${r.regions.join(', ')} · soak ${soak}${r.approval === 'required' ? ' · approval required' : ''}${r.scaleSets ? ` · ${r.scaleSets.length} scale sets` : ''}${r.selector ? ' · selector' : ''}`);
  });
  if (plan.budget) out(`  budget: ${plan.budget.maxInstancesOnUnprovenVersion} instances on an unproven version`);
  if (plan.windows.length) out(`  windows: ${plan.windows.map((w) => `${w.days.join('/')} ${w.from}-${w.to} ${w.timeZone}`).join('; ')}`);
  if (plan.freezes.length) out(`  freezes: ${plan.freezes.map((f) => `${f.from} → ${f.to}`).join('; ')}`);
  out(`  notify: ${plan.notify.length} route${plan.notify.length === 1 ? '' : 's'}${plan.rebake ? ` · rebake ${plan.rebake.schedule}` : ''}`);
  for (const w of pairWarnings(plan)) out(`warning: ${w}`);
  return 0;
}
