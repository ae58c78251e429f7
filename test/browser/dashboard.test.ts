/**
 * The dashboard in headless Chromium (Debian's chromium, driven by playwright-core), opened during a
 * rehearsal: after 1.7.0's demotion, while 1.7.1 rolls out. Checks what a person reads there, then the report's
 * picture of the rollout beside Azure alone's, and saves screenshots under test-output/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
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
    const requireApp = createRequire(join(root, 'dist', 'index.js'));
    let runtime: { url: string; functionKey: string } | undefined;
    let browser: Browser | undefined;
    let checked = false;
    const seen: Record<string, string> = {};
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
          if (checked || bad?.phase !== 'demoted' || !good || good.phase === 'staging') return;
          checked = true;
          browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
          const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
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
