/**
 * Every setting the adapters and notifiers read, in one place, from a plain record (`process.env` in the app, a
 * literal in tests). In Azure these are app settings; a setting may be a Key Vault reference
 * (`@Microsoft.KeyVault(SecretUri=…)`) which the Functions host resolves before the process starts. A value that still
 * reads `@Microsoft.KeyVault(` was not resolved (identity lacks `get` on the vault, or the secret is missing), and is
 * treated as unset with a clear reason rather than posted to as a URL.
 */

export const DEFAULT_ARM_ENDPOINT = 'https://management.azure.com';

export interface AzureSettings {
  /** `RINGMASTER_ARM_ENDPOINT`, default https://management.azure.com (the simulator: https://127.0.0.1:<port>). */
  armEndpoint: string;
  /** `RINGMASTER_SUBSCRIPTION_IDS`, comma separated; the scope of Resource Graph queries. */
  subscriptionIds: string[];
  /** `RINGMASTER_EVENTGRID_TOPIC_ENDPOINT`, e.g. https://rm-topic.eastus-1.eventgrid.azure.net/api/events. */
  eventGridTopicEndpoint?: string;
  /** `RINGMASTER_EVENTGRID_TOPIC_KEY`; absent means Entra ID auth (the app's managed identity). */
  eventGridTopicKey?: string;
  /** `RINGMASTER_ARM_CA_FILE`: a PEM file of extra CAs to trust for ARM (the simulator's self-signed CA). */
  armCaFile?: string;
}

export class SettingsError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid settings:\n  ${problems.join('\n  ')}`);
    this.name = 'SettingsError';
  }
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function clean(v: string | undefined): string | undefined {
  const t = v?.trim();
  return t === undefined || t === '' ? undefined : t;
}

/** Reads and checks the settings; throws `SettingsError` listing every problem at once. */
export function readAzureSettings(env: Record<string, string | undefined>): AzureSettings {
  const problems: string[] = [];
  const armEndpoint = (clean(env.RINGMASTER_ARM_ENDPOINT) ?? DEFAULT_ARM_ENDPOINT).replace(/\/+$/, '');
  try {
    if (new URL(armEndpoint).protocol !== 'https:') {
      problems.push('RINGMASTER_ARM_ENDPOINT: must be https (the SDK bearer-token policy refuses http)');
    }
  } catch {
    problems.push(`RINGMASTER_ARM_ENDPOINT: not a URL (${armEndpoint})`);
  }
  const subscriptionIds = (clean(env.RINGMASTER_SUBSCRIPTION_IDS) ?? '')
    .split(/[\s,]+/)
    .filter((s) => s !== '');
  for (const s of subscriptionIds) {
    if (!GUID.test(s)) problems.push(`RINGMASTER_SUBSCRIPTION_IDS: ${s} is not a subscription id (GUID)`);
  }
  const settings: AzureSettings = {
    armEndpoint,
    subscriptionIds,
  };
  const topic = clean(env.RINGMASTER_EVENTGRID_TOPIC_ENDPOINT);
  if (topic !== undefined) {
    try {
      const u = new URL(topic);
      if (u.protocol !== 'https:') problems.push('RINGMASTER_EVENTGRID_TOPIC_ENDPOINT: must be https');
      settings.eventGridTopicEndpoint = topic;
    } catch {
      problems.push(`RINGMASTER_EVENTGRID_TOPIC_ENDPOINT: not a URL (${topic})`);
    }
  }
  const key = clean(env.RINGMASTER_EVENTGRID_TOPIC_KEY);
  if (key !== undefined) {
    if (key.startsWith('@Microsoft.KeyVault(')) {
      problems.push('RINGMASTER_EVENTGRID_TOPIC_KEY: Key Vault reference was not resolved by the host');
    } else settings.eventGridTopicKey = key;
  }
  const ca = clean(env.RINGMASTER_ARM_CA_FILE);
  if (ca !== undefined) settings.armCaFile = ca;
  if (problems.length > 0) throw new SettingsError(problems);
  return settings;
}

/** `teams-payments-oncall` → `RINGMASTER_SECRET_TEAMS_PAYMENTS_ONCALL`. */
export function secretSettingName(secretName: string): string {
  return `RINGMASTER_SECRET_${secretName
    .trim()
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toUpperCase()}`;
}

export type SecretLookup =
  | { ok: true; value: string }
  | { ok: false; reason: string };

/** Looks a notification secret up by name (never logs the value). */
export function lookupSecret(env: Record<string, string | undefined>, secretName: string): SecretLookup {
  const setting = secretSettingName(secretName);
  const value = clean(env[setting]);
  if (value === undefined) return { ok: false, reason: `secret ${secretName} is not set (app setting ${setting})` };
  if (value.startsWith('@Microsoft.KeyVault(')) {
    return { ok: false, reason: `secret ${secretName}: Key Vault reference in ${setting} was not resolved by the host` };
  }
  return { ok: true, value };
}

/** A `resolveSecret` for `NotificationRouter`. */
export function secretResolver(env: Record<string, string | undefined>): (secretName: string) => string | undefined {
  return (name) => {
    const r = lookupSecret(env, name);
    return r.ok ? r.value : undefined;
  };
}
