import { createRequire } from 'node:module';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'vitest';
import { loadPlanOrThrow } from '../../src/cli/plan-file';
import { runRehearsal } from '../../src/local/rehearsal';
import { loadScenario } from '../../src/local/scenario';
const root = '/work/main';
it('probe', async () => {
  const requireApp = createRequire(join(root, 'dist', 'index.js'));
  const scenario = loadScenario('payments', root);
  const plan = loadPlanOrThrow(scenario.planFile);
  const t = Date.now();
  const r = await runRehearsal({ scenario, plan, root, outDir: mkdtempSync(join(tmpdir(), 'probe-')), loadApp: () => requireApp(join(root, 'dist', 'index.js')), baseline: false });
  console.log(Date.now() - t, JSON.stringify({ ...r.report, expected: undefined }, null, 1).slice(0, 4000));
  for (const [v, l] of r.ledgers) console.log(v, l.length, l.map((e) => `${e.sequence}:${e.kind}:${e.cause.slice(0, 60)}`).slice(0, 60).join('\n'));
}, 120000);
