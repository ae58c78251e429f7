/**
 * Seeded trials killing the local runtime at random simulated times in the payments story and starting it again
 * on the same port and state dir (`restartAtMs`): every trial must end as the uninterrupted run does — same
 * final state per release, same rings completed, nothing outside the open rings — with a complete ledger
 * (sequences 0..n-1, no gap, no repeat), exactly one demotion of 1.7.0, and no notice delivered twice.
 *
 * The scenario is examples/scenarios/payments.yaml without the Azure-alone run. CI runs
 * RINGMASTER_RELIABILITY_TRIALS trials (default 3, about 5 s each); the full campaign is
 * `RINGMASTER_RELIABILITY_TRIALS=50 npx vitest run test/reliability/restarts.test.ts` (about 4.5 minutes on 2 cores).
 */
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/local/report';
import { deliveredNoticeKeys, demotions, ledgerGaps, prng, rehearseInProcess, scenarioWithSeed, type InProcessRun } from './harness';

const SCENARIO = 'payments';
const TRIALS = Number(process.env.RINGMASTER_RELIABILITY_TRIALS ?? 3);
const SEED = Number(process.env.RINGMASTER_RELIABILITY_SEED ?? 4242);
const LAST_KILL_MS = 9 * 3_600_000;

const outcome = (r: Report) => r.releases.map((x) => ({ version: x.version, finalState: x.finalState, demoted: x.demoted, rings: x.rings.map((ring) => Boolean(ring.completedAt)), outside: x.maxInstancesOnVersionOutsideOpenRings }));

function check(run: InProcessRun, label: string): string[] {
  const problems: string[] = [];
  for (const [version, rows] of run.ledgers) {
    problems.push(...ledgerGaps(rows).map((p) => `${label} ${version}: ${p}`));
    const keys = deliveredNoticeKeys(rows);
    const twice = keys.filter((k, i) => keys.indexOf(k) !== i);
    if (twice.length) problems.push(`${label} ${version}: notices delivered twice: ${twice.join(', ')}`);
  }
  const v170 = run.ledgers.get('payments-api@1.7.0') ?? [];
  if (demotions(v170) !== 1) problems.push(`${label}: 1.7.0 demoted ${demotions(v170)} times`);
  return problems;
}

describe(`killing the local runtime at random simulated times (${TRIALS} seeded trials)`, () => {
  it('ends every trial as the uninterrupted run does, with a complete ledger, one demotion and no duplicate notice', async () => {
    const calm = await rehearseInProcess(SCENARIO);
    expect(calm.report.outcome, calm.report.failures.join('\n')).toBe('passed');
    expect(check(calm, 'calm')).toEqual([]);
    const rand = prng(SEED);
    const problems: string[] = [];
    const lines: string[] = [];
    for (let t = 0; t < TRIALS; t++) {
      const kills = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => Math.round((5 * 60_000 + rand() * LAST_KILL_MS) / 1000) * 1000).sort((a, b) => a - b);
      const started = Date.now();
      // Each trial on its own fleet seed (see scenarioWithSeed: a second in-process run of the same seed would be deduped away).
      const run = await rehearseInProcess(scenarioWithSeed(SCENARIO, SEED + t + 1), { restartAtMs: kills });
      const label = `trial ${t + 1} (kills at ${kills.map((k) => `${(k / 3_600_000).toFixed(2)}h`).join(', ')})`;
      lines.push(`${label}: ${run.report.outcome}, ${run.report.restarts} restart(s), ${Date.now() - started} ms`);
      if (run.report.outcome !== 'passed') problems.push(`${label}: ${run.report.failures.join('; ')}`);
      if (JSON.stringify(outcome(run.report)) !== JSON.stringify(outcome(calm.report))) problems.push(`${label}: outcome ${JSON.stringify(outcome(run.report))}`);
      if (run.report.armCalls.byOperation.GalleryImageVersions_Update !== calm.report.armCalls.byOperation.GalleryImageVersions_Update) {
        problems.push(`${label}: ${run.report.armCalls.byOperation.GalleryImageVersions_Update} version writes, calm run ${calm.report.armCalls.byOperation.GalleryImageVersions_Update}`);
      }
      if (run.report.chatMessagesReceived !== calm.report.chatMessagesReceived) problems.push(`${label}: ${run.report.chatMessagesReceived} chat messages, calm run ${calm.report.chatMessagesReceived}`);
      problems.push(...check(run, label));
    }
    console.log(lines.join('\n'));
    expect(problems).toEqual([]);
  }, 60_000 + TRIALS * 30_000);
});
