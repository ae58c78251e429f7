/**
 * `ringmaster rehearse`: the README's main job (`npm start`). Rehearses a release end to end on loopback —
 * the fleet simulator, Azurite and the local runtime running the same app as Azure — and compares it with
 * the same scenario under Azure alone.
 */
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { formatDuration, parseDuration } from '../core';
import { renderReportHtml, type Report } from '../local/report';
import { runRehearsal, type Progress } from '../local/rehearsal';
import { exitCodeOf, listScenarios, loadScenario, releaseLabel, ScenarioError, verdictOf, type Verdict } from '../local/scenario';

export const REHEARSE_HELP = `Usage: ringmaster rehearse [--scenario NAME|FILE] [--plan FILE] [--json] [--out DIR] [--no-baseline]
       ringmaster rehearse --list

Rehearses a release on this machine, with no Azure subscription: starts the Azure fleet simulator
(ARM + Event Grid on https://127.0.0.1), Azurite (the ledger) and the local Functions runtime (the same
app that runs in Azure), subscribes the runtime's webhooks to the simulator's Event Grid, and runs the
scenario to its end on the simulator's virtual clock, in lockstep (as fast as this machine allows).
Then it runs the same scenario with no controller — Azure alone — and compares the blast radius.

Options:
  --scenario NAME|FILE  a scenario of the library (default payments; --list shows them), or a
                        scenario file, relative to the current directory (see docs/rehearsal.md)
  --list                print the scenario library, one line each (name — description)
  --plan FILE           use this release plan instead of the scenario's
  --out DIR             where report.json and report.html go (default .ringmaster/)
  --json                print report.json on stdout (progress goes to stderr)
  --no-baseline         skip the Azure-alone comparison run
  --restart-at LIST     kill the local runtime at these simulated times (e.g. 1h,6h30m) and start it
                        again on its state dir, as a restart of \`ringmaster serve\` would; the outcome
                        must be the same (a resilience drill)

Exit status: 0 when the scenario's expected outcome happened, 1 when it did not, 2 on bad usage (an
invalid scenario file included). A scenario marked expectedToFail exits 0 when it fails as expected and
1 when it passes (the issue it waits for may be fixed: remove the marker).
`;

export async function runRehearseCommand(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: argv, options: { scenario: { type: 'string', default: 'payments' }, plan: { type: 'string' }, out: { type: 'string', default: '.ringmaster' }, json: { type: 'boolean', default: false }, 'no-baseline': { type: 'boolean', default: false }, 'restart-at': { type: 'string' }, list: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } }, strict: true });
  } catch (err) {
    console.error(`ringmaster rehearse: ${(err as Error).message}\n\n${REHEARSE_HELP}`);
    return 2;
  }
  if (args.values.help) {
    console.log(REHEARSE_HELP);
    return 0;
  }
  const root = resolve(__dirname, '..');
  let scenario;
  try {
    if (args.values.list) {
      const library = listScenarios(root);
      const width = Math.max(...library.map((s) => s.name.length));
      for (const s of library) console.log(`${s.name.padEnd(width)} — ${s.description}${s.expectedToFail ? ` [expected to fail: ${s.expectedToFail}]` : ''}`);
      return 0;
    }
    scenario = loadScenario(args.values.scenario!, root, process.cwd(), args.values.plan ? { plan: args.values.plan } : {});
  } catch (err) {
    if (!(err instanceof ScenarioError)) throw err;
    console.error(`ringmaster rehearse: ${err.message}`);
    return 2;
  }
  const outDir = resolve(args.values.out!);
  const say = args.values.json ? (m: string) => process.stderr.write(`${m}\n`) : (m: string) => process.stdout.write(`${m}\n`);
  const live = !args.values.json && process.stdout.isTTY === true;
  say(`ringmaster rehearse: scenario ${scenario.name} — ${scenario.description}`);
  say(`  plan ${scenario.plans.map((p) => p.file).join(', ')}\n  fleet ${scenario.fleetFile}`);
  const label: Label = (x) => releaseLabel(scenario, x.image, x.version);
  const requireApp = createRequire(join(root, 'dist', 'index.js'));
  const { report, summaries, ledgers } = await runRehearsal({
    scenario,
    root,
    outDir,
    loadApp: () => requireApp(join(root, 'dist', 'index.js')),
    onProgress: progressPrinter(say, live, label),
    log: process.env.RINGMASTER_DEBUG ? say : () => {},
    baseline: !args.values['no-baseline'],
    restartAtMs: parseTimes(args.values['restart-at']),
  });
  if (live) process.stdout.write('\r\x1b[2K');
  const verdict = verdictOf(scenario, report.outcome);
  const json = { ...report, ...(scenario.expectedToFail !== undefined ? { expectedToFail: scenario.expectedToFail } : {}), verdict: verdict.kind };
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'report.json'), `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(join(outDir, 'report.html'), renderReportHtml(report, summaries, ledgers));
  if (args.values.json) process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  else printSummary(report, outDir, say, label);
  say(verdictLine(verdict, report, scenario.file));
  return exitCodeOf(verdict);
}

/** The last line: what the outcome means for this scenario (with --json it goes to stderr). */
export function verdictLine(v: Verdict, r: Report, file: string): string {
  switch (v.kind) {
    case 'passed':
      return '  PASSED';
    case 'failed':
      return `  FAILED: ${r.failures.join('; ')}`;
    case 'failed-as-expected':
      return `  FAILED AS EXPECTED (expectedToFail: ${v.issue}): ${r.failures.join('; ')}`;
    case 'unexpectedly-passed':
      return `  UNEXPECTEDLY PASSED: every expectation was met although the scenario is marked expectedToFail ("${v.issue}"); if that issue is fixed, remove expectedToFail from ${file}`;
  }
}

/** How the console names a release: its version, with its image when the scenario has several. */
type Label = (x: { image: string; version: string }) => string;

function progressPrinter(say: (m: string) => void, live: boolean, label: Label): (p: Progress) => void {
  let last = '';
  return (p) => {
    const hours = (p.elapsedSimMs / 3_600_000).toFixed(1);
    const releases = p.releases.map((r) => `${label(r)} ${r.phase}${r.ring ? `@${r.ring}` : ''}`).join(' · ');
    if (live) {
      const up = p.upgrading.slice(0, 3).map((u) => `${u.region} ${u.batch} ${u.unhealthyPercent}% unhealthy`).join(', ');
      process.stdout.write(`\r\x1b[2K[sim +${hours}h ${p.simTime.slice(11, 16)}Z] ${releases}${up ? ` | upgrading: ${up}` : ''}`.slice(0, process.stdout.columns ?? 160));
      return;
    }
    if (releases !== last) say(`  [sim +${hours}h] ${releases || 'waiting for a version'}`);
    last = releases;
  };
}

function parseTimes(list: string | undefined): number[] {
  if (!list) return [];
  return list.split(',').map((t) => {
    const ms = parseDuration(t.trim());
    if (ms === undefined) throw new Error(`--restart-at: "${t}" is not a duration like 1h30m`);
    return ms;
  });
}

function printSummary(r: Report, outDir: string, say: (m: string) => void, name: Label): void {
  say('');
  for (const rel of r.releases) {
    const rings = rel.rings.filter((x) => x.openedAt).map((x) => x.name).join(' → ') || 'no ring';
    say(`  ${name(rel)}: ${rel.finalState}${rel.demoted ? ` in ${rings.split(' → ').at(-1)}` : ''} (rings: ${rings}; ${rel.instancesUpgraded} instances ran it; ${rel.maxInstancesOnVersionOutsideOpenRings} outside open rings)`);
    if (rel.demotionCause) say(`    cause: ${rel.demotionCause}`);
    if (rel.finalState === 'completed' && rel.durationMs !== null) {
      const min = (ms: number) => formatDuration(Math.round(ms / 60_000) * 60_000);
      const floor = rel.floorMs === null ? '' : `; ${rel.ratioToFloor} × the fastest this plan allows, ${min(rel.floorMs)}`;
      say(`    took ${min(rel.durationMs)}: ${rel.ratioToLowerBound} × its lower bound (Σ soak + one rolling upgrade per ring), ${min(rel.lowerBoundMs)}${floor}`);
    }
  }
  const delivered = r.notifications.filter((n) => n.delivered).length;
  say(`  notices: ${delivered}/${r.notifications.length} delivered — ${r.notifications.map((n) => `${n.event}(${n.channel}, ${name(n)})`).join(', ')}`);
  if (r.baseline) {
    say(`  blast radius: ${r.blastRadius.instancesOnBadVersion} instances in ${r.blastRadius.regionsAffected} region(s) on a bad version; Azure alone: ${r.baseline.instancesOnBadVersion} in ${r.baseline.regionsAffected} (ratio ${r.blastRadius.ratioToBaseline ?? 'n/a'})`);
  }
  say(`  ARM calls: ${r.armCalls.total} · simulated ${r.simulatedDuration} in ${(r.wallMs / 1000).toFixed(1)} s`);
  say(`  report: ${join(outDir, 'report.json')}, ${join(outDir, 'report.html')}`);
}
