import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARM_ACTIONS, primaryAction, requiredRoleActions } from '../../src/azure/arm-actions';
import { computeClient, monitorClient } from '../../src/azure/client-options';
import { createArmCredential, isLoopbackHost, loopbackTokenCredential } from '../../src/azure/credentials';
import { Fatal, Forbidden } from '../../src/azure/errors';
import { createGalleryPort } from '../../src/azure/gallery-port';
import { createMonitorPort } from '../../src/azure/monitor-port';
import { lookupSecret, readAzureSettings, secretResolver, secretSettingName, SettingsError } from '../../src/azure/settings';
import { selfSignedCert } from '../notify/sink';
import { startRig, SUB, type TestRig, versionIdOf } from './sim-harness';

const VMSS = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-1`;

/**
 * The simulator has no Azure Monitor; this loopback HTTPS stub serves the metrics list shape of
 * `GET {resourceUri}/providers/Microsoft.Insights/metrics` (2018-01-01) so the real @azure/arm-monitor client runs.
 */
describe.skipIf(selfSignedCert() === null)('monitor port (real @azure/arm-monitor against a loopback HTTPS stub)', () => {
  let server: https.Server;
  let url = '';
  const seen: string[] = [];
  let mode: 'ok' | '403' = 'ok';
  beforeAll(async () => {
    const tls = selfSignedCert();
    if (!tls) return;
    server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
      seen.push(req.url ?? '');
      if (mode === '403') {
        res.writeHead(403, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ error: { code: 'AuthorizationFailed', message: 'no metrics for you' } }));
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          timespan: '2025-01-06T08:00:00Z/2025-01-06T08:03:00Z',
          interval: 'PT1M',
          value: [
            {
              id: `${VMSS}/providers/Microsoft.Insights/metrics/Percentage CPU`,
              type: 'Microsoft.Insights/metrics',
              name: { value: 'Percentage CPU', localizedValue: 'Percentage CPU' },
              unit: 'Percent',
              timeseries: [
                {
                  metadatavalues: [],
                  data: [
                    { timeStamp: '2025-01-06T08:01:00Z', average: 41.5 },
                    { timeStamp: '2025-01-06T08:00:00Z', average: 12 },
                    { timeStamp: '2025-01-06T08:02:00Z' },
                  ],
                },
              ],
            },
          ],
        }),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });

  const port = () => {
    const tls = selfSignedCert();
    const connection = { credential: loopbackTokenCredential(url), endpoint: url, ...(tls ? { caPem: tls.cert } : {}) };
    return createMonitorPort((s) => monitorClient(connection, s), { sleep: async () => undefined });
  };

  it('reads a metric series, sorted, with gaps kept', async () => {
    const series = await port().readMetric(VMSS, { metricName: 'Percentage CPU', aggregation: 'Average', from: '2025-01-06T08:00:00Z', to: '2025-01-06T08:03:00Z', interval: 'PT1M' });
    expect(series).toEqual({
      resourceId: VMSS,
      metricName: 'Percentage CPU',
      aggregation: 'Average',
      unit: 'Percent',
      points: [
        { timeStamp: '2025-01-06T08:00:00.000Z', value: 12 },
        { timeStamp: '2025-01-06T08:01:00.000Z', value: 41.5 },
        { timeStamp: '2025-01-06T08:02:00.000Z', value: undefined },
      ],
    });
    const q = new URL(`https://x${seen.at(-1) ?? ''}`).searchParams;
    expect(q.get('metricnames')).toBe('Percentage CPU');
    expect(q.get('aggregation')).toBe('Average');
    expect(q.get('timespan')).toBe('2025-01-06T08:00:00Z/2025-01-06T08:03:00Z');
  });

  it('names the metrics action on 403', async () => {
    mode = '403';
    const e = await port()
      .readMetric(VMSS, { metricName: 'Percentage CPU', aggregation: 'Average', from: 'a', to: 'b' })
      .catch((x: unknown) => x);
    mode = 'ok';
    expect(e).toBeInstanceOf(Forbidden);
    expect((e as Forbidden).action).toBe('Microsoft.Insights/metrics/read');
  });
});

describe('credentials and TLS trust', () => {
  let rig: TestRig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(async () => {
    await rig?.close();
  });

  it.each([
    ['127.0.0.1', true],
    ['127.8.9.1', true],
    ['[::1]', true],
    ['localhost', true],
    ['management.azure.com', false],
    ['10.0.0.1', false],
  ] as const)('isLoopbackHost(%s) = %s', (host, want) => {
    expect(isLoopbackHost(host)).toBe(want);
  });

  it('refuses the static token for a non-loopback endpoint', () => {
    expect(() => loopbackTokenCredential('https://management.azure.com')).toThrow(/only loopback endpoints/);
    expect(createArmCredential('https://127.0.0.1:8443').constructor.name).not.toBe('DefaultAzureCredential');
    expect(createArmCredential('https://management.azure.com').constructor.name).toBe('DefaultAzureCredential');
  });

  it('without the simulator CA the call fails fast as Fatal (a TLS error is not retried)', async () => {
    const connection = { credential: loopbackTokenCredential(rig.sim.url), endpoint: rig.sim.url };
    const sleeps: number[] = [];
    const port = createGalleryPort((s) => computeClient(connection, s), { sleep: async (ms) => void sleeps.push(ms) });
    const e = await port.getVersion(versionIdOf('1.6.4')).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(Fatal);
    expect((e as Fatal).message).toMatch(/certificate/i);
    expect(sleeps).toEqual([]);
  });

  it('with the CA in tlsOptions the same call succeeds (no process-wide NODE_EXTRA_CA_CERTS)', async () => {
    const connection = { credential: loopbackTokenCredential(rig.sim.url), endpoint: rig.sim.url, caPem: rig.sim.caPem };
    const port = createGalleryPort((s) => computeClient(connection, s));
    expect((await port.getVersion(versionIdOf('1.6.4'))).name).toBe('1.6.4');
  });
});

describe('settings', () => {
  it('reads every setting from a plain record', () => {
    const s = readAzureSettings({
      RINGMASTER_ARM_ENDPOINT: 'https://127.0.0.1:8443/',
      RINGMASTER_SUBSCRIPTION_IDS: `${SUB}, 00000000-0000-0000-0000-000000000002`,
      RINGMASTER_EVENTGRID_TOPIC_ENDPOINT: 'https://rm.eastus-1.eventgrid.azure.net/api/events',
      RINGMASTER_EVENTGRID_TOPIC_KEY: 'k',
      RINGMASTER_ARM_CA_FILE: '/tmp/ca.pem',
    });
    expect(s).toEqual({
      armEndpoint: 'https://127.0.0.1:8443',
      subscriptionIds: [SUB, '00000000-0000-0000-0000-000000000002'],
      eventGridTopicEndpoint: 'https://rm.eastus-1.eventgrid.azure.net/api/events',
      eventGridTopicKey: 'k',
      armCaFile: '/tmp/ca.pem',
    });
  });

  it('defaults to public ARM and lists every problem at once', () => {
    expect(readAzureSettings({}).armEndpoint).toBe('https://management.azure.com');
    try {
      readAzureSettings({ RINGMASTER_ARM_ENDPOINT: 'http://x', RINGMASTER_SUBSCRIPTION_IDS: 'abc', RINGMASTER_EVENTGRID_TOPIC_KEY: '@Microsoft.KeyVault(SecretUri=https://kv/x)' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SettingsError);
      expect((e as SettingsError).problems).toEqual([
        'RINGMASTER_ARM_ENDPOINT: must be https (the SDK bearer-token policy refuses http)',
        'RINGMASTER_SUBSCRIPTION_IDS: abc is not a subscription id (GUID)',
        'RINGMASTER_EVENTGRID_TOPIC_KEY: Key Vault reference was not resolved by the host',
      ]);
    }
  });

  it('looks notification secrets up by name', () => {
    expect(secretSettingName('teams-payments-oncall')).toBe('RINGMASTER_SECRET_TEAMS_PAYMENTS_ONCALL');
    const env = {
      RINGMASTER_SECRET_TEAMS_PAYMENTS_ONCALL: 'https://prod-1.westus.logic.azure.com/workflows/x',
      RINGMASTER_SECRET_SLACK_RELEASE_CHANNEL: '@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/slack)',
    };
    expect(lookupSecret(env, 'teams-payments-oncall')).toEqual({ ok: true, value: env.RINGMASTER_SECRET_TEAMS_PAYMENTS_ONCALL });
    expect(lookupSecret(env, 'slack-release-channel')).toMatchObject({ ok: false, reason: expect.stringContaining('not resolved') });
    expect(lookupSecret(env, 'missing')).toMatchObject({ ok: false, reason: expect.stringContaining('RINGMASTER_SECRET_MISSING') });
    expect(secretResolver(env)('slack-release-channel')).toBeUndefined();
  });
});

describe('ARM actions as data', () => {
  it('every port operation names at least one action, and the role grant is sorted and unique', () => {
    for (const [op, p] of Object.entries(ARM_ACTIONS)) {
      expect(p.actions.length + ('dataActions' in p ? p.dataActions.length : 0), op).toBeGreaterThan(0);
    }
    const role = requiredRoleActions();
    expect(role.actions).toEqual([...new Set(role.actions)].sort());
    expect(role.actions).toEqual([
      'Microsoft.Compute/galleries/images/versions/read',
      'Microsoft.Compute/galleries/images/versions/write',
      'Microsoft.Compute/virtualMachineScaleSets/osRollingUpgrade/action',
      'Microsoft.Compute/virtualMachineScaleSets/osUpgradeHistory/read',
      'Microsoft.Compute/virtualMachineScaleSets/read',
      'Microsoft.Compute/virtualMachineScaleSets/rollingUpgrades/cancel/action',
      'Microsoft.Compute/virtualMachineScaleSets/rollingUpgrades/read',
      'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/read',
      'Microsoft.Compute/virtualMachines/read',
      'Microsoft.Insights/metrics/read',
      'Microsoft.ResourceGraph/resources/read',
      'Microsoft.VirtualMachineImages/imageTemplates/read',
      'Microsoft.VirtualMachineImages/imageTemplates/run/action',
    ]);
    expect(role.dataActions).toEqual(['Microsoft.EventGrid/events/send/action']);
    expect(primaryAction('gallery.demote')).toBe('Microsoft.Compute/galleries/images/versions/write');
  });
});
