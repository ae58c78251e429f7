/**
 * Telemetry start-up: the Azure Monitor OpenTelemetry distro (`useAzureMonitor`), only where Application Insights is
 * configured — `APPLICATIONINSIGHTS_CONNECTION_STRING`, an app setting in Azure, never set by `ringmaster serve`,
 * the rehearsal or the tests. It installs the global OpenTelemetry providers, so the decisions telemetry.ts emits
 * reach `customEvents`. The Application Insights resource has local auth off (infra/modules/monitoring.bicep): the
 * exporter signs in with the identity `APPLICATIONINSIGHTS_AUTHENTICATION_STRING` names (`ClientId=…;Authorization=AAD`,
 * the setting the Functions host reads too; the distro does not read it). A start that fails is logged, never fatal.
 */
import { ManagedIdentityCredential } from '@azure/identity';
import type { AzureMonitorOpenTelemetryOptions } from '@azure/monitor-opentelemetry';
import { toErrorMessage } from '../azure/errors';

export interface TelemetrySettings {
  connectionString: string;
  /** Entra ID auth (`Authorization=AAD`), with the user-assigned identity's client id when one is named. */
  entra?: { clientId?: string };
}

/** What start-up needs from the app settings; undefined when telemetry stays off. */
export function telemetrySettingsOf(env: Record<string, string | undefined>): TelemetrySettings | undefined {
  const connectionString = env.APPLICATIONINSIGHTS_CONNECTION_STRING?.trim();
  if (!connectionString) return undefined;
  const auth = new Map(
    (env.APPLICATIONINSIGHTS_AUTHENTICATION_STRING ?? '').split(';').map((kv) => {
      const i = kv.indexOf('=');
      return [kv.slice(0, Math.max(i, 0)).trim().toLowerCase(), kv.slice(i + 1).trim()] as const;
    }),
  );
  if (auth.get('authorization')?.toLowerCase() !== 'aad') return { connectionString };
  const clientId = auth.get('clientid');
  return { connectionString, entra: clientId ? { clientId } : {} };
}

/** The distro's options: the connection string, the Entra credential, and decisions never sampled away with traces. */
export function azureMonitorOptions(s: TelemetrySettings): AzureMonitorOpenTelemetryOptions {
  const credential = s.entra && (s.entra.clientId ? new ManagedIdentityCredential({ clientId: s.entra.clientId }) : new ManagedIdentityCredential());
  return {
    azureMonitorExporterOptions: { connectionString: s.connectionString, ...(credential ? { credential } : {}) },
    enableTraceBasedSamplingForLogs: false,
  };
}

/**
 * The distro, required when telemetry starts. `require`, not `import`: esbuild then bundles the package's CommonJS
 * build, whereas its ES module build finds the host's `@azure/functions-core` (the hook that puts the host's trace
 * context on each invocation) through `import.meta.url`, which is empty in our CommonJS bundle — so the hook would
 * silently be missing. Loading it only here also spares every load of dist/index.js where telemetry is off.
 */
function useAzureMonitor(options: AzureMonitorOpenTelemetryOptions): void {
  (require('@azure/monitor-opentelemetry') as typeof import('@azure/monitor-opentelemetry')).useAzureMonitor(options);
}

/** Starts the distro when the settings ask for it; true when started. Never throws. */
export function startTelemetry(
  env: Record<string, string | undefined>,
  start: (options: AzureMonitorOpenTelemetryOptions) => void = useAzureMonitor,
  warn: (message: string) => void = (m) => console.error(m),
): boolean {
  try {
    const settings = telemetrySettingsOf(env);
    if (!settings) return false;
    start(azureMonitorOptions(settings));
    return true;
  } catch (err) {
    warn(`telemetry not started (the ledger still has every decision): ${toErrorMessage(err)}`);
    return false;
  }
}
