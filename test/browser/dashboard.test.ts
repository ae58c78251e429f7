/**
 * The dashboard in headless Chromium (Debian's chromium, driven by playwright-core), opened during a
 * rehearsal: after 1.7.0's demotion, while 1.7.1 rolls out, and once more when 1.7.1 has completed. Checks what a
 * person reads there — the releases, and the rollout picture Ringmaster draws from its own ledger — then the
 * report's picture of the rollout (the simulator's ground truth) beside Azure alone's, and saves screenshots
 * under test-output/.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { runRehearsal } from '../../src/local/rehearsal';
import { renderReportHtml } from '../../src/local/report';
import { loadScenario } from '../../src/local/scenario';

const root = join(__dirname, '../..');
const CHROMIUM = process.env.RINGMASTER_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`dashboard browser test skipped: no Chromium at ${CHROMIUM} (install Debian's chromium or set RINGMASTER_CHROMIUM)`);

describe.skipIf(!haveChromium)('dashboard in a browser', () => {
  it('shows the demoted release, the rings and the ledger with causes during a rehearsal', async () => {
    const scenario = loadScenario('payments', root);
    const outDir = join(root, 'test-output', 'browser-rehearsal');
    mkdirSync(join(root, 'test-output'), { recursive: true });
    rmSync(join(root, 'test-output', 'dashboard-timeline.png'), { force: true });
    const requireApp = createRequire(join(root, 'dist', 'index.js'));
    let runtime: { url: string; functionKey: string } | undefined;
    let browser: Browser | undefined;
    let checked = false;
    let checkedEnd = false;
    const seen: Record<string, string> = {};
    const launch = async () => (browser ??= await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] }));
    /** A band of the dashboard's rollout picture (what Ringmaster observed): its largest and final share, or null. */
    const liveShare = async (page: Page, region: string, version: string) => {
      const band = page.locator(`section.rollout[data-plan="payments-api"] figure.timeline g.band[data-region="${region}"][data-version="${version}"]`);
      return (await band.count()) === 0 ? null : { max: Number(await band.getAttribute('data-max-share')), final: Number(await band.getAttribute('data-final-share')) };
    };
    const regions = ['eastus', 'westus3', 'northeurope', 'westeurope', 'southeastasia', 'australiaeast'];
    try {
      const result = await runRehearsal({
        scenario,
        root,
        outDir,
        loadApp: () => requireApp(join(root, 'dist', 'index.js')),
        onRuntime: (r) => (runtime = r),
        onProgress: async (p) => {
          const bad = p.releases.find((r) => r.version === '1.7.0');
          const good = p.releases.find((r) => r.version === '1.7.1');
          if (checked && !checkedEnd && good?.phase === 'completed') {
            checkedEnd = true;
            // 1.7.1 has completed: the picture, from the ledgers of both releases.
            const page = await (await launch()).newPage({ viewport: { width: 1280, height: 900 } });
            await page.setExtraHTTPHeaders({ 'x-functions-key': runtime!.functionKey });
            await page.goto(`${runtime!.url}/api/dashboard`);
            const rollout = page.locator('section.rollout[data-plan="payments-api"]');
            seen.liveCanaryBad = JSON.stringify(await liveShare(page, 'eastus', '1.7.0'));
            seen.liveEarlyBad = JSON.stringify(await liveShare(page, 'westus3', '1.7.0'));
            seen.liveGood = JSON.stringify(Object.fromEntries(await Promise.all(regions.map(async (r) => [r, await liveShare(page, r, '1.7.1')] as const))));
            seen.liveOpened = JSON.stringify(Object.fromEntries(await Promise.all(regions.map(async (r) => [r, await rollout.locator(`g.region[data-region="${r}"] line[data-kind="ring-opened"] title`).allTextContents()] as const))));
            seen.liveHalted = JSON.stringify(await rollout.locator('g.region line[data-kind="halted"] title').allTextContents());
            seen.liveDemoted = JSON.stringify(await rollout.locator('g.region line[data-kind="demoted"]').evaluateAll((ls) => ls.map((l) => l.closest('g.region')?.getAttribute('data-region'))));
            seen.liveExternal = String(await rollout.locator('script, [href], [src]').count());
            if ((await rollout.count()) === 1) await rollout.screenshot({ path: join(root, 'test-output', 'dashboard-timeline.png') });
            await page.close();
            return;
          }
          if (checked || bad?.phase !== 'demoted' || !good || good.phase === 'staging') return;
          checked = true;
          const page = await (await launch()).newPage({ viewport: { width: 1280, height: 900 } });
          const unauthorized = await page.goto(`${runtime!.url}/api/dashboard`);
          seen.withoutKey = String(unauthorized?.status());
          await page.setExtraHTTPHeaders({ 'x-functions-key': runtime!.functionKey });
          const res = await page.goto(`${runtime!.url}/api/dashboard`);
          seen.status = String(res?.status());
          const demoted = page.locator('section.release[data-phase="demoted"]');
          seen.demotedTitle = (await demoted.locator('h2').innerText()).replace(/\s+/g, ' ');
          seen.demotedCause = await demoted.locator('.cause').innerText();
          seen.canary = (await demoted.locator('li[data-ring="canary"]').getAttribute('class')) ?? '';
          seen.early = (await demoted.locator('li[data-ring="early"]').getAttribute('class')) ?? '';
          seen.ledger = await demoted.locator('table').innerText();
          seen.releases = String(await page.locator('section.release').count());
          seen.external = String(await page.locator('script, link[href^="http"], img[src^="http"]').count());
          // Mid-run, the picture already shows the canary's first batch on 1.7.0.
          seen.midCanaryBad = JSON.stringify(await liveShare(page, 'eastus', '1.7.0'));
          await page.screenshot({ path: join(root, 'test-output', 'dashboard.png'), fullPage: true });
        },
      });
      expect(result.report.outcome, result.report.failures.join('\n')).toBe('passed');
      // The report's picture of the rollout, with Azure alone beside it.
      const page = await browser!.newPage({ viewport: { width: 1280, height: 900 } });
      await page.setContent(renderReportHtml(result.report, result.summaries, result.ledgers));
      const share = async (chart: string, region: string, version: string) => {
        const band = page.locator(`figure.timeline:has(figcaption:text-is("${chart}")) g.band[data-region="${region}"][data-version="${version}"]`);
        return (await band.count()) === 0 ? null : { max: Number(await band.getAttribute('data-max-share')), final: Number(await band.getAttribute('data-final-share')) };
      };
      seen.canaryBad = JSON.stringify(await share('with Ringmaster', 'eastus', '1.7.0'));
      seen.earlyBad = JSON.stringify(await share('with Ringmaster', 'westus3', '1.7.0'));
      seen.canaryDemoted = String(await page.locator('figure.timeline g.region[data-region="eastus"] line[data-kind="demoted"]').count());
      const alone = await Promise.all(['eastus', 'westus3', 'northeurope', 'westeurope', 'southeastasia', 'australiaeast'].map((r) => share('Azure alone', r, '1.7.0')));
      seen.aloneRegions = String(alone.filter((x) => x && x.max > 0).length);
      seen.timelineExternal = String(await page.locator('#timeline script, #timeline [href]').count());
      await page.locator('#timeline').screenshot({ path: join(root, 'test-output', 'timeline.png') });
    } finally {
      await browser?.close();
    }
    expect(checked, 'the dashboard was opened during the rehearsal').toBe(true);
    expect(seen.withoutKey).toBe('401');
    expect(seen.status).toBe('200');
    expect(seen.demotedTitle).toContain('payments-api 1.7.0');
    expect(seen.demotedTitle).toContain('demoted');
    expect(seen.demotedCause).toContain('MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade');
    expect(seen.canary).toContain('stopped');
    expect(seen.early).toContain('closed');
    expect(seen.ledger).toMatch(/command\s+breach in vmss-payments-eastus-1/);
    expect(Number(seen.releases)).toBe(2);
    expect(seen.external).toBe('0');
    expect(existsSync(join(root, 'test-output', 'dashboard.png'))).toBe(true);
    expect(JSON.parse(seen.midCanaryBad!)).toMatchObject({ max: 0.1 });
    // The live picture, from what Ringmaster read: the canary's share of 1.7.0 rose to its first batch (2 of 20) and
    // went back (1.7.1's release read the canary all on 1.6.4); the early ring never ran it; 1.7.1 reached every region.
    expect(checkedEnd, 'the dashboard was opened once 1.7.1 completed').toBe(true);
    expect(JSON.parse(seen.liveCanaryBad!)).toEqual({ max: 0.1, final: 0 });
    expect(seen.liveEarlyBad).toBe('null');
    expect(JSON.parse(seen.liveGood!)).toEqual(Object.fromEntries(regions.map((r) => [r, { max: 1, final: 1 }])));
    // Ring openings where each ring opened (the canary twice: 1.7.0, then 1.7.1), the platform's halt and the demotion in the canary only.
    const opened = JSON.parse(seen.liveOpened!) as Record<string, string[]>;
    expect(opened.eastus!.sort()).toEqual(['1.7.0: canary opened eastus', '1.7.1: canary opened eastus']);
    expect(opened.westus3).toEqual(['1.7.1: early opened westus3']);
    for (const r of ['northeurope', 'westeurope', 'southeastasia', 'australiaeast']) expect(opened[r]).toEqual([`1.7.1: broad opened ${r}`]);
    expect(JSON.parse(seen.liveHalted!)).toEqual(['1.7.0: the platform halted vmss-payments-eastus-1 (MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade)']);
    expect(JSON.parse(seen.liveDemoted!)).toEqual(['eastus']);
    expect(seen.liveExternal).toBe('0');
    expect(existsSync(join(root, 'test-output', 'dashboard-timeline.png'))).toBe(true);
    // The canary's share of 1.7.0 rose to its first batch (2 of 20 instances) and went back; the early ring never ran it.
    expect(JSON.parse(seen.canaryBad!)).toEqual({ max: 0.1, final: 0 });
    expect(seen.earlyBad).toBe('null');
    expect(Number(seen.canaryDemoted)).toBeGreaterThan(0);
    // Azure alone: 1.7.0 reached every region.
    expect(seen.aloneRegions).toBe('6');
    expect(seen.timelineExternal).toBe('0');
    expect(existsSync(join(root, 'test-output', 'timeline.png'))).toBe(true);
  });
});
