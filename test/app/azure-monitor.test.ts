/** Telemetry start-up: the Azure Monitor distro only where Application Insights is configured, signed in with Entra ID. */
import { ManagedIdentityCredential } from '@azure/identity';
import type { AzureMonitorOpenTelemetryOptions } from '@azure/monitor-opentelemetry';
import { describe, expect, it } from 'vitest';
import { startTelemetry, telemetrySettingsOf } from '../../src/app/azure-monitor';

const CONNECTION = 'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/';

function starts(env: Record<string, string | undefined>) {
  const calls: AzureMonitorOpenTelemetryOptions[] = [];
  const warnings: string[] = [];
  const started = startTelemetry(env, (o) => calls.push(o), (m) => warnings.push(m));
  return { started, calls, warnings };
}

describe('telemetry start-up', () => {
  it.each([
    ['no connection string (ringmaster serve, the rehearsal, tests)', {}],
    ['an empty one', { APPLICATIONINSIGHTS_CONNECTION_STRING: '  ' }],
  ])('stays off with %s', (_, env) => {
    expect(starts(env)).toEqual({ started: false, calls: [], warnings: [] });
  });

  it('in Azure: the connection string, the user-assigned identity the host uses too, decisions never sampled with traces', () => {
    const { started, calls } = starts({ APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION, APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=11111111-2222-3333-4444-555555555555;Authorization=AAD' });
    expect(started).toBe(true);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ azureMonitorExporterOptions: { connectionString: CONNECTION }, enableTraceBasedSamplingForLogs: false });
    expect(calls[0]!.azureMonitorExporterOptions?.credential).toBeInstanceOf(ManagedIdentityCredential);
  });

  it.each([
    ['Authorization=AAD', { connectionString: CONNECTION, entra: {} }],
    [' clientid = abc ; authorization = aad ', { connectionString: CONNECTION, entra: { clientId: 'abc' } }],
    [undefined, { connectionString: CONNECTION }],
    ['ClientId=abc', { connectionString: CONNECTION }],
  ])('reads APPLICATIONINSIGHTS_AUTHENTICATION_STRING %j', (auth, settings) => {
    expect(telemetrySettingsOf({ APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION, APPLICATIONINSIGHTS_AUTHENTICATION_STRING: auth })).toEqual(settings);
  });

  it('a distro that fails to start is logged, not fatal', () => {
    const warnings: string[] = [];
    const started = startTelemetry({ APPLICATIONINSIGHTS_CONNECTION_STRING: CONNECTION }, () => {
      throw new Error('Invalid instrumentation key');
    }, (m) => warnings.push(m));
    expect(started).toBe(false);
    expect(warnings).toEqual(['telemetry not started (the ledger still has every decision): Invalid instrumentation key']);
  });
});
