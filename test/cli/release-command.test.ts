/**
 * `ringmaster releases` and `ringmaster release …` against a running local host (`ringmaster serve`, in
 * process) whose ARM endpoint is the fleet simulator: a release is started by a Ringmaster CloudEvent
 * delivered to the webhook after the handshake, then listed, shown, paused and aborted from the CLI.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseIdOf } from '../../src/app/release-runtime';
import { runReleaseCommand, runReleasesCommand, resolveTarget, type CliIo } from '../../src/cli/release-command';
import { startServe, type Serving } from '../../src/cli/serve-command';
import type { LedgerEntry } from '../../src/ledger/ledger';
import { freePort } from '../../src/local/azurite';
import { startSimulator, type FleetSpecInput, type Simulator } from '../../src/sim/index';

const root = join(__dirname, '../..');
const SUB = '00000000-0000-0000-0000-0000000000c1';
const IMAGE = `/subscriptions/${SUB}/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/galCli/images/cli-api`;
const VERSION_ID = `${IMAGE}/versions/1.1.0`;
const RELEASE = releaseIdOf(VERSION_ID);

const fleet: FleetSpecInput = {
  subscriptionId: SUB,
  regions: ['eastus', 'westus3'],
  gallery: {
    name: 'galCli',
    resourceGroup: 'rg-images',
    location: 'eastus',
    images: [{ name: 'cli-api', versions: [{ version: '1.0.0' }, { version: '1.1.0', targetRegions: [{ name: 'eastus', excludeFromLatest: true }, { name: 'westus3', excludeFromLatest: true }] }] }],
  },
  scaleSets: [
    {
      name: 'vmss-cli-{region}',
      resourceGroup: 'rg-cli',
      regions: ['eastus', 'westus3'],
      instances: 2,
      image: 'cli-api',
      upgradePolicy: { mode: 'Rolling', rollingUpgradePolicy: { maxBatchInstancePercent: 50, maxUnhealthyInstancePercent: 20, maxUnhealthyUpgradedInstancePercent: 20, pauseTimeBetweenBatches: 'PT0S' }, automaticOSUpgradePolicy: { enableAutomaticOSUpgrade: true } },
    },
  ],
};

const PLAN = `name: cli-api
image: ${IMAGE}
lever: regional-flag
rings:
  - name: canary
    regions: [eastus]
    soak: 30m
  - name: broad
    regions: [westus3]
    soak: 0s
health:
  maxUnhealthyUpgradedInstancePercent: 20
`;

function harness(env: Record<string, string | undefined> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), env };
  return { out, err, io, text: () => out.join('\n'), errors: () => err.join('\n') };
}

describe('ringmaster releases / release against a local serve', () => {
  let sim: Simulator;
  let s: Serving;
  const stateDir = mkdtempSync(join(tmpdir(), 'rm-release-cli-'));
  let target: string[];

  beforeAll(async () => {
    sim = await startSimulator({ fleet, manualClock: true, stateDir: join(stateDir, 'sim') });
    const work = mkdtempSync(join(tmpdir(), 'rm-release-cli-settings-'));
    writeFileSync(join(work, 'plan.yaml'), PLAN);
    const settings = {
      RINGMASTER_ARM_ENDPOINT: sim.url,
      RINGMASTER_ARM_CA_FILE: sim.caPath,
      RINGMASTER_SUBSCRIPTION_IDS: SUB,
      RINGMASTER_PLANS: 'plan.yaml',
      RINGMASTER_WATCH_SCHEDULE: '0 0 0 1 1 *',
      RINGMASTER_REBAKE_SCHEDULE: '0 0 3 1 * *',
      RINGMASTER_LRO_POLL_MS: '5',
    };
    writeFileSync(join(work, 'local.settings.json'), JSON.stringify({ IsEncrypted: false, Values: settings }));
    const err: string[] = [];
    const started = await startServe(['--port', '0', '--state-dir', join(stateDir, 'serve'), '--settings', join(work, 'local.settings.json'), '--ledger', 'memory'], { out: () => {}, err: (l) => err.push(l), env: {}, root });
    if (typeof started === 'number') throw new Error(`serve did not start: ${err.join('\n')}`);
    s = started;
    target = ['--url', s.url, '--state-dir', join(stateDir, 'serve')];

    // Start a release as Event Grid would: the CloudEvents handshake, then the Ringmaster event.
    const hook = `${s.url}/runtime/webhooks/eventgrid?functionName=onReleaseEvent&code=${encodeURIComponent(s.systemKey)}`;
    expect((await fetch(hook, { method: 'OPTIONS', headers: { 'WebHook-Request-Origin': 'eventgrid.azure.net' } })).status).toBe(200);
    const event = { specversion: '1.0', type: 'ringmaster.image.version.published', source: '/pipelines/cli-api', id: 'evt-cli-1', time: new Date().toISOString(), datacontenttype: 'application/json', data: { versionId: VERSION_ID } };
    const res = await fetch(hook, { method: 'POST', headers: { 'aeg-event-type': 'Notification', 'content-type': 'application/cloudevents-batch+json' }, body: JSON.stringify([event]) });
    expect(res.status).toBe(200);
    await s.host.whenIdle();
  });

  afterAll(async () => {
    await s?.stop();
    await sim?.close();
  });

  it('lists the release as a table (key from the serve state dir)', async () => {
    const h = harness();
    expect(await runReleasesCommand(target, h.io), h.errors()).toBe(0);
    const [head, line] = h.out[0]!.split('\n');
    expect(head).toMatch(/^ID\s+VERSION\s+PHASE\s+RING\s+WAITING FOR \/ DEMOTION CAUSE$/);
    expect(line).toContain(RELEASE);
    expect(line).toContain('1.1.0');
    expect(line).toContain('canary');
  });

  it('prints the API JSON with --json, and takes the URL and key from the environment', async () => {
    const h = harness({ RINGMASTER_URL: `${s.url}/api/`, RINGMASTER_KEY: s.functionKey });
    expect(await runReleasesCommand(['--json'], h.io), h.errors()).toBe(0);
    const body = JSON.parse(h.text()) as { releases: { id: string; status: string; release?: { version: string } }[] };
    expect(body.releases).toHaveLength(1);
    expect(body.releases[0]).toMatchObject({ id: RELEASE, status: 'Running', release: { version: '1.1.0' } });
  });

  it('shows the release: state, rings and the last ledger entries', async () => {
    const h = harness();
    expect(await runReleaseCommand(['show', RELEASE, ...target, '--last', '3'], h.io), h.errors()).toBe(0);
    const text = h.text();
    expect(text).toContain(`release ${RELEASE}`);
    expect(text).toContain(`version   1.1.0  ${VERSION_ID}`);
    expect(text).toMatch(/rings:\n {2}canary +\S.*eastus/);
    expect(text).toMatch(/\n {2}broad +not open +westus3/);
    expect(text).toMatch(/ledger \(last 3 of \d+\):/);
  });

  it('pauses it: 202, and the ledger shows the pause once the host is idle', async () => {
    const h = harness();
    expect(await runReleaseCommand(['pause', RELEASE, ...target, '--actor', 'alice@contoso.com', '--reason', 'change freeze'], h.io), h.errors()).toBe(0);
    // The app records who it authenticated (here the function key), never the body's word.
    expect(h.text()).toContain('accepted (HTTP 202) as function key default (you said alice@contoso.com');
    await s.host.whenIdle();
    const j = harness();
    expect(await runReleaseCommand(['show', RELEASE, ...target, '--json'], j.io)).toBe(0);
    const shown = JSON.parse(j.text()) as { release: { phase: string }; ledger: LedgerEntry[] };
    expect(shown.release.phase).toBe('paused');
    expect(shown.ledger.some((e) => e.cause.includes('paused by function key default (change freeze; claimed to act as alice@contoso.com)'))).toBe(true);
    const t = harness();
    expect(await runReleasesCommand(target, t.io)).toBe(0);
    expect(t.text()).toMatch(new RegExp(`${RELEASE.replace(/[.]/g, '\\.')}\\s+1\\.1\\.0\\s+paused`));
  });

  it('says 404 for an unknown id, and 401 with where the key came from', async () => {
    const missing = harness();
    expect(await runReleaseCommand(['show', 'no-such-release', ...target], missing.io)).toBe(1);
    expect(missing.errors()).toContain('no release with id "no-such-release"');
    expect(missing.errors()).toContain('HTTP 404');
    const wrong = harness();
    expect(await runReleasesCommand(['--url', s.url, '--key', 'wrong-key-wrong-key'], wrong.io)).toBe(1);
    expect(wrong.errors()).toContain('refused the key (HTTP 401)');
    expect(wrong.errors()).toContain('the key came from --key');
    const fromEnv = harness({ RINGMASTER_KEY: 'wrong-key-wrong-key' });
    expect(await runReleaseCommand(['pause', RELEASE, '--url', s.url], fromEnv.io)).toBe(1);
    expect(fromEnv.errors()).toContain('env RINGMASTER_KEY');
  });

  it('says 409 once the release is no longer running', async () => {
    const h = harness();
    expect(await runReleaseCommand(['abort', RELEASE, ...target, '--reason', 'test'], h.io), h.errors()).toBe(0);
    await s.host.whenIdle();
    const list = harness();
    expect(await runReleasesCommand([...target, '--json'], list.io)).toBe(0);
    const body = JSON.parse(list.text()) as { releases: { status: string; release: { phase: string } }[] };
    expect(body.releases[0]!.release.phase).toBe('aborted');
    expect(body.releases[0]!.status).not.toBe('Running');
    const again = harness();
    expect(await runReleaseCommand(['resume', RELEASE, ...target], again.io)).toBe(1);
    expect(again.errors()).toContain('not running (HTTP 409)');
  });

  it('exits 2 when the app cannot be reached, and on bad usage', async () => {
    const closed = harness();
    const port = await freePort();
    expect(await runReleasesCommand(['--url', `http://127.0.0.1:${port}`, '--key', 'k'], closed.io)).toBe(2);
    expect(closed.errors()).toContain(`cannot reach http://127.0.0.1:${port}: ECONNREFUSED`);
    for (const argv of [[], ['show'], ['explode', 'x'], ['pause', 'a', 'b'], ['show', 'x', '--last', '-1'], ['show', 'x', '--bogus']]) {
      const h = harness();
      expect(await runReleaseCommand(argv, h.io), argv.join(' ')).toBe(2);
    }
    expect(await runReleasesCommand(['--url', 'ftp://x'], harness().io)).toBe(2);
    const help = harness();
    expect(await runReleaseCommand(['--help'], help.io)).toBe(0);
    expect(help.text()).toContain('pause|resume|approve|approve-budget|promote|abort|demote ID');
  });

  it('never sends the local serve key to a remote URL', () => {
    const local = resolveTarget({ url: s.url, 'state-dir': join(stateDir, 'serve') }, {});
    expect(local.key).toBe(s.functionKey);
    const remote = resolveTarget({ url: 'https://rm-prod.azurewebsites.net', 'state-dir': join(stateDir, 'serve') }, {});
    expect(remote.key).toBeUndefined();
    expect(remote.keySource).toContain('--key');
  });
});
