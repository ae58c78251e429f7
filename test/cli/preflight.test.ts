/**
 * `ringmaster preflight` against the fleet simulator: one fleet built here with an image definition per failure mode
 * (so each plan sees exactly its own scale sets), the real SDK clients over HTTPS on 127.0.0.1, and the exit codes
 * and JSON document an operator or a pipeline relies on.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  formatPreflightReport,
  parsePreflightArgs,
  runPreflightCommand,
  scaleSetModelQuery,
  toScaleSetModel,
  type PreflightReport,
} from '../../src/cli/preflight-command';
import { preflight, validatePlan, type ReleasePlan } from '../../src/core';
import { startSimulator, type FleetSpecInput, type Simulator } from '../../src/sim/index';

const SUB = '00000000-0000-0000-0000-0000000000aa';
const GALLERY = `/subscriptions/${SUB}/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/galPre/images`;
const vmss = (rg: string, name: string) => `/subscriptions/${SUB}/resourceGroups/${rg}/providers/Microsoft.Compute/virtualMachineScaleSets/${name}`;

const rolling = (over: { maxSurge?: boolean; maxUnhealthyUpgradedInstancePercent?: number; auto?: boolean } = {}) => ({
  mode: 'Rolling' as const,
  rollingUpgradePolicy: {
    maxBatchInstancePercent: 20,
    maxUnhealthyInstancePercent: 20,
    maxUnhealthyUpgradedInstancePercent: over.maxUnhealthyUpgradedInstancePercent ?? 20,
    pauseTimeBetweenBatches: 'PT0S',
    ...(over.maxSurge !== undefined ? { maxSurge: over.maxSurge } : {}),
  },
  automaticOSUpgradePolicy: { enableAutomaticOSUpgrade: over.auto ?? true },
});

const images = ['clean', 'pinned', 'noauto', 'nohealth', 'twohealth', 'surge', 'loose', 'staged', 'other', 'bare'];

/** One image definition per case; each case's scale sets track only their own image. */
function preflightFleet(): FleetSpecInput {
  return {
    subscriptionId: SUB,
    regions: ['eastus', 'westus3', 'northeurope'],
    gallery: {
      name: 'galPre',
      resourceGroup: 'rg-images',
      location: 'eastus',
      images: images.map((name) => ({
        name,
        versions:
          name === 'bare'
            ? []
            : name === 'staged'
            ? [{ version: '1.0.0' }, { version: '1.1.0', targetRegions: [{ name: 'eastus', excludeFromLatest: true }] }]
            : [{ version: '1.0.0' }],
      })),
    },
    scaleSets: [
      { name: 'vmss-clean-{region}', resourceGroup: 'rg-clean', regions: ['eastus', 'westus3'], instances: 2, image: 'clean', upgradePolicy: rolling() },
      { name: 'vmss-pinned-{region}', resourceGroup: 'rg-pinned', regions: ['eastus'], instances: 2, image: 'pinned', pinnedVersion: '1.0.0', upgradePolicy: rolling() },
      { name: 'vmss-noauto-{region}', resourceGroup: 'rg-noauto', regions: ['eastus'], instances: 2, image: 'noauto', upgradePolicy: rolling({ auto: false }) },
      { name: 'vmss-nohealth-{region}', resourceGroup: 'rg-nohealth', regions: ['eastus'], instances: 2, image: 'nohealth', healthSource: 'none', upgradePolicy: rolling() },
      { name: 'vmss-twohealth-{region}', resourceGroup: 'rg-twohealth', regions: ['eastus'], instances: 2, image: 'twohealth', healthSource: 'both', upgradePolicy: rolling() },
      { name: 'vmss-surge-{region}', resourceGroup: 'rg-surge', regions: ['eastus'], instances: 2, image: 'surge', orchestrationMode: 'Flexible', upgradePolicy: rolling({ maxSurge: true }) },
      { name: 'vmss-loose-{region}', resourceGroup: 'rg-loose', regions: ['eastus'], instances: 2, image: 'loose', upgradePolicy: rolling({ maxUnhealthyUpgradedInstancePercent: 50 }) },
      { name: 'vmss-staged-{region}', resourceGroup: 'rg-staged', regions: ['eastus', 'westus3'], instances: 2, image: 'staged', initialVersion: '1.0.0', upgradePolicy: rolling() },
      { name: 'vmss-other-{region}', resourceGroup: 'rg-other', regions: ['eastus'], instances: 2, image: 'other', upgradePolicy: rolling() },
    ],
  };
}

let sim: Simulator;
let dir: string;

beforeAll(async () => {
  sim = await startSimulator({ fleet: preflightFleet(), seed: 5, manualClock: true, throttling: { enabled: false } });
  dir = mkdtempSync(join(tmpdir(), 'rm-preflight-'));
});
afterAll(async () => sim?.close());
afterEach(() => sim.faults.clear());

function planFile(name: string, image: string, rings: { name: string; regions: string[]; scaleSets?: string[] }[], extra = ''): string {
  const file = join(dir, `${name}.yaml`);
  const ringsYaml = rings
    .map((r) => `  - name: ${r.name}\n    regions: [${r.regions.join(', ')}]${r.scaleSets ? `\n    scaleSets:\n${r.scaleSets.map((s) => `      - ${s}`).join('\n')}` : ''}`)
    .join('\n');
  writeFileSync(file, `image: ${GALLERY}/${image}\nlever: regional-flag\nrings:\n${ringsYaml}\nhealth:\n  maxUnhealthyUpgradedInstancePercent: 20\n${extra}`);
  return file;
}

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runPreflightCommand(argv, { out: (t) => out.push(t), err: (t) => err.push(t), env: {} });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const simArgs = () => ['--arm-endpoint', sim.url, '--ca-file', sim.caPath, '--subscription', SUB];

async function runJson(plan: string, ...more: string[]): Promise<{ code: number; report: PreflightReport }> {
  const r = await run('--plan', plan, '--json', ...simArgs(), ...more);
  return { code: r.code, report: JSON.parse(r.out) as PreflightReport };
}

describe('ringmaster preflight against simulator fleets', () => {
  it('a clean fleet: exit 0, the sets and the version it checked, and "clean" in the table', async () => {
    const plan = planFile('clean', 'clean', [{ name: 'canary', regions: ['eastus'] }, { name: 'rest', regions: ['westus3'] }]);
    const { code, report } = await runJson(plan);
    expect(code).toBe(0);
    expect(report.status).toBe('clean');
    expect(report.findings).toEqual([]);
    expect(report.scaleSets).toEqual([vmss('rg-clean', 'vmss-clean-eastus'), vmss('rg-clean', 'vmss-clean-westus3')]);
    expect(report.version).toMatchObject({ name: '1.0.0', targetRegions: expect.arrayContaining(['eastus', 'westus3']) });
    expect(report.regionPairs).toBe(`ARM location metadata of subscription ${SUB}`);
    const table = await run('--plan', plan, ...simArgs());
    expect(table.code).toBe(0);
    expect(table.out).toContain('clean: no findings on 2 scale sets');
    expect(table.out).toContain('version checked: 1.0.0');
  });

  const cases: { name: string; image: string; id: string; severity: 'error' | 'warning'; resource: string; text: RegExp }[] = [
    { name: 'pinned image', image: 'pinned', id: 'image-pinned', severity: 'error', resource: vmss('rg-pinned', 'vmss-pinned-eastus'), text: /pinned to 1\.0\.0/ },
    { name: 'automatic OS upgrade off', image: 'noauto', id: 'automatic-os-upgrade-off', severity: 'error', resource: vmss('rg-noauto', 'vmss-noauto-eastus'), text: /enableAutomaticOSUpgrade/ },
    { name: 'no health source', image: 'nohealth', id: 'no-health-source', severity: 'error', resource: vmss('rg-nohealth', 'vmss-nohealth-eastus'), text: /no Application Health extension/ },
    { name: 'two health sources', image: 'twohealth', id: 'two-health-sources', severity: 'error', resource: vmss('rg-twohealth', 'vmss-twohealth-eastus'), text: /both/ },
    { name: 'MaxSurge on Flex', image: 'surge', id: 'max-surge-on-flex', severity: 'error', resource: vmss('rg-surge', 'vmss-surge-eastus'), text: /maxSurge/ },
    { name: 'threshold looser than the plan', image: 'loose', id: 'threshold-looser-than-plan', severity: 'warning', resource: vmss('rg-loose', 'vmss-loose-eastus'), text: /50 %/ },
  ];
  for (const c of cases) {
    it(`${c.name}: finding ${c.id}, exit 1`, async () => {
      const { code, report } = await runJson(planFile(c.image, c.image, [{ name: 'canary', regions: ['eastus'] }]));
      expect(code).toBe(1);
      expect(report.status).toBe('findings');
      expect(report.findings).toHaveLength(1);
      expect(report.findings[0]).toMatchObject({ id: c.id, severity: c.severity, resource: c.resource, message: expect.stringMatching(c.text) });
      expect(report.findings[0]?.fix).not.toBe('');
    });
  }

  it('a version not replicated to a ring region (regional-flag lever): region-not-targeted on the newest version', async () => {
    const plan = planFile('staged', 'staged', [{ name: 'canary', regions: ['eastus'] }, { name: 'early', regions: ['westus3'] }]);
    const { code, report } = await runJson(plan);
    expect(code).toBe(1);
    expect(report.version).toMatchObject({ name: '1.1.0', targetRegions: ['eastus'] });
    expect(report.findings.map((f) => [f.id, f.resource])).toEqual([['region-not-targeted', 'westus3']]);
    // --version picks an older version, replicated everywhere: clean.
    const older = await runJson(plan, '--version', '1.0.0');
    expect(older.code).toBe(0);
    // A demoted newest version is not the one about to be released: the next newest is checked.
    sim.sim.addTimelineAction({ at: 0, action: 'publishVersion', image: 'staged', version: '1.2.0', targetRegions: ['eastus'], excludeFromLatest: true }, true);
    sim.clock.advance(1000);
    expect((await runJson(plan)).report.version?.name).toBe('1.1.0');
    const missing = await runJson(plan, '--version', '9.9.9');
    expect(missing.code).toBe(2);
    expect(missing.report.reason).toContain('version 9.9.9');
  });

  it('a ring region where no scale set runs the image: region-without-scale-sets', async () => {
    const { code, report } = await runJson(planFile('empty-region', 'clean', [{ name: 'canary', regions: ['eastus'] }, { name: 'far', regions: ['southeastasia'] }]));
    expect(code).toBe(1);
    expect(report.findings.map((f) => [f.id, f.severity, f.resource])).toEqual([['region-without-scale-sets', 'warning', 'southeastasia']]);
  });

  it('a ring that names a scale set running another image: other-image; the ring is those sets only', async () => {
    const plan = planFile('named', 'clean', [{ name: 'canary', regions: ['eastus'], scaleSets: [vmss('rg-clean', 'vmss-clean-eastus'), vmss('rg-other', 'vmss-other-eastus')] }]);
    const { code, report } = await runJson(plan);
    expect(code).toBe(1);
    expect(report.scaleSets).toEqual([vmss('rg-clean', 'vmss-clean-eastus'), vmss('rg-other', 'vmss-other-eastus')]);
    expect(report.findings.map((f) => [f.id, f.resource])).toEqual([['other-image', vmss('rg-other', 'vmss-other-eastus')]]);
  });

  it('--all-scale-sets checks every set in the plan regions', async () => {
    const { report } = await runJson(planFile('all', 'clean', [{ name: 'canary', regions: ['eastus'] }]), '--all-scale-sets');
    expect(report.scaleSets?.length).toBe(9);
    expect(report.findings.filter((f) => f.id === 'other-image')).toHaveLength(7);
  });

  it('an image definition with no version yet: the replication check is skipped and said so', async () => {
    const plan = planFile('bare', 'bare', [{ name: 'canary', regions: ['eastus'] }]);
    const { code, report } = await runJson(plan);
    expect(code).toBe(1);
    expect(report.version).toBeNull();
    expect(report.findings.map((f) => f.id)).toEqual(['region-without-scale-sets']);
    expect((await run('--plan', plan, ...simArgs())).out).toContain('version checked: none yet');
  });

  it('prints a table with severity, finding, resource, message and fix', async () => {
    const r = await run('--plan', planFile('table', 'twohealth', [{ name: 'canary', regions: ['eastus'] }]), ...simArgs());
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/SEVERITY\s+FINDING\s+RESOURCE/);
    expect(r.out).toMatch(/error\s+two-health-sources\s+vmss-twohealth-eastus \(rg-twohealth\)/);
    expect(r.out).toContain('fix: Keep one health source');
    expect(r.out).toContain('1 error, 0 warnings');
  });
});

describe('ringmaster preflight: could not check (exit 2)', () => {
  it('a 403 from Resource Graph names the missing action', async () => {
    sim.faults.addArm({ operation: 'Resources', kind: 'error', status: 403, code: 'AuthorizationFailed' });
    const { code, report } = await runJson(planFile('forbidden', 'clean', [{ name: 'canary', regions: ['eastus'] }]));
    expect(code).toBe(2);
    expect(report.status).toBe('could-not-check');
    expect(report.missingAction).toBe('Microsoft.ResourceGraph/resources/read');
    expect(report.reason).toContain('AuthorizationFailed');
  });

  it('ARM\'s locations refused (403): the pairs come from the built-in table, and the report says why', async () => {
    sim.faults.addArm({ operation: 'Subscriptions_ListLocations', kind: 'error', status: 403, code: 'AuthorizationFailed' });
    const { code, report } = await runJson(planFile('no-locations', 'clean', [{ name: 'canary', regions: ['eastus'] }, { name: 'rest', regions: ['westus3'] }]));
    expect(code).toBe(0);
    expect(report.regionPairs).toMatch(/^Ringmaster's built-in table \(ARM's locations could not be read: .*AuthorizationFailed/);
    expect(report.regionPairs).toContain('Microsoft.Resources/subscriptions/locations/read');
  });

  it('a 403 on the version list names versions/read, in the table form on stderr', async () => {
    sim.faults.addArm({ operation: 'GalleryImageVersions_ListByGalleryImage', kind: 'error', status: 403, code: 'AuthorizationFailed' });
    const r = await run('--plan', planFile('forbidden-versions', 'clean', [{ name: 'canary', regions: ['eastus'] }]), ...simArgs());
    expect(r.code).toBe(2);
    expect(r.err).toContain('could not check');
    expect(r.err).toContain('Microsoft.Compute/galleries/images/versions/read');
  });

  it('a named scale set that Resource Graph does not return', async () => {
    const ghost = vmss('rg-clean', 'vmss-ghost');
    const { code, report } = await runJson(planFile('ghost', 'clean', [{ name: 'canary', regions: ['eastus'], scaleSets: [ghost] }]));
    expect(code).toBe(2);
    expect(report.reason).toContain(ghost);
  });

  it('an unreachable endpoint', async () => {
    const r = await run('--plan', planFile('unreachable', 'clean', [{ name: 'canary', regions: ['eastus'] }]), '--arm-endpoint', 'https://127.0.0.1:1', '--ca-file', sim.caPath, '--subscription', SUB);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/cannot reach https:\/\/127\.0\.0\.1:1/);
  });

  it('bad arguments, an invalid plan, a plain-http endpoint', async () => {
    expect((await run()).code).toBe(2);
    expect((await run('--plan')).err).toContain('--plan needs a value');
    expect((await run('--plan', 'x.yaml', '--frobnicate')).err).toContain('unknown argument');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'image: nope\nrings: []\n');
    const invalid = await runJson(bad);
    expect(invalid.code).toBe(2);
    expect(invalid.report.reason).toContain('is not a valid plan');
    const http = await run('--plan', planFile('http', 'clean', [{ name: 'c', regions: ['eastus'] }]), '--arm-endpoint', 'http://127.0.0.1:9', '--subscription', SUB);
    expect(http.code).toBe(2);
    expect(http.err).toContain('must be https');
  });

  it('--help teaches the findings, the sources, the permissions and the exit codes', async () => {
    const r = await run('--help');
    expect(r.code).toBe(0);
    for (const word of ['DefaultAzureCredential', 'region-not-targeted', 'Microsoft.ResourceGraph/resources/read', 'Exit status', '--subscription']) {
      expect(r.out).toContain(word);
    }
  });
});

describe('preflight pieces the simulator cannot model', () => {
  const plan = (): ReleasePlan => {
    const r = validatePlan({ image: `${GALLERY}/clean`, rings: [{ name: 'canary', regions: ['eastus'] }], health: { warmUp: '15m' } });
    if (!r.ok) throw new Error('plan');
    return r.plan;
  };

  it('a Resource Graph row (ARM JSON) with a Marketplace image and a short repair grace period', () => {
    const row = {
      id: vmss('rg-x', 'vmss-market'),
      name: 'vmss-market',
      location: 'East US',
      properties: {
        orchestrationMode: 'Flexible',
        upgradePolicy: { mode: 'Rolling', automaticOSUpgradePolicy: { enableAutomaticOSUpgrade: true } },
        automaticRepairsPolicy: { enabled: true, gracePeriod: 'PT10M' },
        virtualMachineProfile: {
          storageProfile: { imageReference: { publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server', version: 'latest' } },
          extensionProfile: { extensions: [{ name: 'health', properties: { publisher: 'Microsoft.ManagedServices', type: 'ApplicationHealthLinux' } }] },
        },
      },
    };
    const model = toScaleSetModel(row);
    expect(model).toBeDefined();
    expect(preflight(plan(), model ? [model] : []).map((f) => f.id)).toEqual(['not-gallery-image', 'repair-grace-shorter-than-warm-up']);
    expect(toScaleSetModel({ name: 'no id' })).toBeUndefined();
  });

  it('the query narrows by region, image (latest or pinned), named sets and a selector', () => {
    const q = scaleSetModelQuery({ imageId: `${GALLERY}/clean`, regions: ['East US', 'westus3'], explicitIds: [vmss('rg', 'a')], allScaleSets: false, selector: "tags.ring == 'canary'" });
    expect(q).toContain("location in~ ('eastus', 'westus3')");
    expect(q).toContain(`startswith '${GALLERY}/clean/versions/'`);
    expect(q).toContain(`id in~ ('${vmss('rg', 'a')}')`);
    expect(q).toContain("| where tags.ring == 'canary'");
    expect(scaleSetModelQuery({ imageId: 'x', regions: ['eastus'], explicitIds: [], allScaleSets: true })).not.toContain('imageReference');
  });

  it('argument parsing accepts --flag=value and repeated subscriptions', () => {
    const p = parsePreflightArgs(['--plan=p.yaml', '--subscription', 'a', '--subscription=b,c', '--json']);
    expect(p).toEqual({ ok: true, args: { plan: 'p.yaml', json: true, allScaleSets: false, subscriptions: ['a', 'b', 'c'] } });
    expect(formatPreflightReport({ status: 'could-not-check', exitCode: 2, findings: [], reason: 'x' })).toBe('');
  });
});
