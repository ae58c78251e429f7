/**
 * Every setting the code reads is set by infra/ or documented as optional in docs/operator-guide.md; host.json and
 * local.settings.json have what the Functions host needs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { secretSettingName } from '../../src/azure/settings';
import { validatePlan } from '../../src/core';
import { parse as parseYaml } from 'yaml';
import { objectEntries, parseExpression, print } from './arm-expression';
import { type ArmTemplate, describeWithArm, moduleNamed, moduleTemplate, ofType } from './bicep-cli';
import { bicep, root } from './bicep-text';

const read = (f: string) => readFileSync(join(root, f), 'utf8');
const host = JSON.parse(read('host.json')) as {
  version?: string;
  telemetryMode?: string;
  extensionBundle?: { id?: string; version?: string };
  extensions?: { durableTask?: { hubName?: string } };
};
const local = JSON.parse(read('local.settings.json')) as { IsEncrypted?: boolean; Values: Record<string, string> };
const guide = read('docs/operator-guide.md');

/** Setting names the code reads: `env.NAME`, `env[NAME]` via seconds('NAME'), and `%NAME%` in host.json and bindings. */
function settingsReadByCode(): Set<string> {
  const names = new Set<string>();
  for (const file of ['src/app/wiring.ts', 'src/azure/settings.ts', 'src/app/azure-monitor.ts']) {
    const text = read(file);
    for (const m of text.matchAll(/\benv\.([A-Za-z_][A-Za-z0-9_]*)/g)) names.add(m[1] ?? '');
    for (const m of text.matchAll(/seconds\('([A-Z_]+)'/g)) names.add(m[1] ?? '');
  }
  for (const file of ['host.json', 'src/functions/timers.ts', 'src/functions/events.ts', 'src/functions/alerts.ts', 'src/functions/api.ts']) {
    for (const m of read(file).matchAll(/%([A-Za-z_][A-Za-z0-9_]*)%/g)) names.add(m[1] ?? '');
  }
  for (const k of Object.keys(local.Values)) names.add(k);
  return names;
}

/** The app settings of the compiled function-app module: key → ARM expression, and what else is merged in. */
function compiledAppSettings(arm: ArmTemplate): { settings: Map<string, string>; merged: string[]; template: ArmTemplate } {
  const template = moduleTemplate(arm, 'function-app');
  // The app settings; the other config (authsettingsV2, App Service authentication) holds no app setting.
  const config = ofType(template, 'Microsoft.Web/sites/config').filter((c) => String(c.name).includes('appsettings'));
  expect(config).toHaveLength(1);
  expect(config[0]?.name).toBe("[format('{0}/{1}', parameters('functionAppName'), 'appsettings')]");
  const expr = parseExpression(config[0]?.properties as unknown as string);
  const settings = new Map([...objectEntries(expr)].map(([k, v]) => [k, print(v)]));
  const merged = expr.kind === 'call' && expr.name === 'union' ? expr.args.filter((a) => a.kind !== 'call' || a.name !== 'createObject').map(print) : [];
  return { settings, merged, template };
}

/** Names in the guide's "optional settings" table: rows `| \`NAME\` | ...` between the markers. */
function documentedOptional(): Set<string> {
  const section = /<!-- optional-settings:begin -->([\s\S]*?)<!-- optional-settings:end -->/.exec(guide)?.[1] ?? '';
  return new Set([...section.matchAll(/^\|\s*`([A-Za-z_][A-Za-z0-9_]*)`/gm)].map((m) => m[1] ?? ''));
}

describeWithArm('app settings (compiled ARM JSON)', (arm) => {
  const read_ = settingsReadByCode();
  const optional = documentedOptional();
  let set = new Set<string>();
  let compiled: ReturnType<typeof compiledAppSettings>;
  beforeAll(() => {
    compiled = compiledAppSettings(arm());
    set = new Set(compiled.settings.keys());
  });

  it('finds the settings the code reads (sanity)', () => {
    for (const n of ['RINGMASTER_ARM_ENDPOINT', 'RINGMASTER_SUBSCRIPTION_IDS', 'RINGMASTER_PLANS', 'RINGMASTER_TASK_HUB', 'RINGMASTER_WATCH_SCHEDULE', 'RINGMASTER_LRO_POLL_MS', 'AzureWebJobsStorage', 'APPLICATIONINSIGHTS_CONNECTION_STRING', 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING']) {
      expect(read_.has(n), n).toBe(true);
    }
  });

  it('every setting the code reads is set in Bicep or documented as optional', () => {
    const missing = [...read_].filter((n) => {
      if (set.has(n) || optional.has(n)) return false;
      // Identity-based connections: AzureWebJobsStorage is satisfied by AzureWebJobsStorage__accountName & co.
      return ![...set].some((s) => s.startsWith(`${n}__`));
    });
    expect(missing).toEqual([]);
  });

  it('documents nothing as optional that Bicep sets, and nothing the code never reads', () => {
    expect([...optional].filter((n) => set.has(n))).toEqual([]);
    expect([...optional].filter((n) => !read_.has(n))).toEqual([]);
  });

  it('host storage is identity-based: no connection string, no account key anywhere in the app settings', () => {
    expect(set.has('AzureWebJobsStorage')).toBe(false);
    for (const k of ['AzureWebJobsStorage__accountName', 'AzureWebJobsStorage__credential', 'AzureWebJobsStorage__clientId']) expect(set.has(k), k).toBe(true);
    expect(compiled.settings.get('AzureWebJobsStorage__credential')).toBe("'managedidentity'");
    for (const [k, v] of compiled.settings) expect(v, k).not.toMatch(/AccountKey|listKeys|SharedAccessSignature/i);
  });

  it('notification secrets become RINGMASTER_SECRET_<NAME> Key Vault references, named as the code names them', () => {
    expect(compiled.merged).toEqual(["variables('notificationSettings')"]);
    const vars = compiled.template.variables ?? {};
    expect(vars.notificationSettings).toBe(
      "[toObject(parameters('notificationSecretNames'), lambda('secret', format('RINGMASTER_SECRET_{0}', toUpper(replace(replace(lambdaVariables('secret'), '-', '_'), '.', '_')))), lambda('secret', format('{0}{1})', variables('kvRef'), lambdaVariables('secret'))))]",
    );
    expect(vars.kvRef).toBe("[format('@Microsoft.KeyVault(VaultName={0};SecretName=', parameters('keyVaultName'))]");
    const [site] = ofType(compiled.template, 'Microsoft.Web/sites');
    expect(site?.properties).toMatchObject({ keyVaultReferenceIdentity: "[parameters('identityId')]" });
    // The Bicep transform (dashes → underscores, upper case) equals secretSettingName for every secret name a plan may use.
    const bicepName = (n: string) => `RINGMASTER_SECRET_${n.replace(/-/g, '_').replace(/\./g, '_').toUpperCase()}`;
    for (const file of ['examples/payments.yaml', 'examples/web-fleet.yaml']) {
      const r = validatePlan(parseYaml(read(file)));
      if (!r.ok) throw new Error(file);
      for (const route of r.plan.notify) {
        const name = route.teams ?? route.slack;
        if (name) expect(bicepName(name)).toBe(secretSettingName(name));
      }
    }
  });

  it('the ledger is reached with the app identity: an account URL, no connection string or key', () => {
    expect(compiled.settings.get('RINGMASTER_LEDGER_ACCOUNT_URL')).toBe("parameters('ledgerAccountUrl')");
    expect([...set].filter((k) => k.startsWith('RINGMASTER_LEDGER_CONNECTION'))).toEqual([]);
    const ledger = moduleNamed(arm(), 'function-app').properties?.parameters as Record<string, { value: string }>;
    expect(ledger.ledgerAccountUrl?.value).toContain('.outputs.hostTableEndpoint.value');
  });

  it('Flex Consumption does not take FUNCTIONS_WORKER_RUNTIME or WEBSITE_* runtime settings', () => {
    expect([...set].filter((k) => /^(FUNCTIONS_WORKER_RUNTIME|FUNCTIONS_EXTENSION_VERSION|WEBSITE_NODE_DEFAULT_VERSION|WEBSITE_RUN_FROM_PACKAGE)$/.test(k))).toEqual([]);
  });
});

describe('host.json and local.settings.json', () => {
  it('host.json: version 2.0, OpenTelemetry, extension bundle [4.*, 5.0.0), task hub from RINGMASTER_TASK_HUB', () => {
    expect(host.version).toBe('2.0');
    expect(host.telemetryMode).toBe('OpenTelemetry');
    expect(host.extensionBundle).toEqual({ id: 'Microsoft.Azure.Functions.ExtensionBundle', version: '[4.*, 5.0.0)' });
    expect(host.extensions?.durableTask?.hubName).toBe('%RINGMASTER_TASK_HUB%');
  });

  it('local.settings.json: AzureWebJobsStorage, FUNCTIONS_WORKER_RUNTIME=node, no secrets', () => {
    expect(local.IsEncrypted).toBe(false);
    expect(local.Values.AzureWebJobsStorage).toBe('UseDevelopmentStorage=true');
    expect(local.Values.FUNCTIONS_WORKER_RUNTIME).toBe('node');
    for (const [k, v] of Object.entries(local.Values)) {
      // Connection strings with keys, SAS tokens and webhook URLs (a webhook URL is its own secret).
      expect(v, k).not.toMatch(/AccountKey=|SharedAccessSignature|[?&]sig=|https:\/\/[^,\s]*(webhook\.office\.com|hooks\.slack\.com|logic\.azure\.com|powerplatform\.com)/i);
      expect(k.startsWith('RINGMASTER_SECRET_') && v !== '', k).toBe(false);
      if (/KEY|SECRET|PASSWORD|TOKEN/i.test(k)) expect(v, k).toBe('');
    }
  });

  it('the task hub name is valid for the Azure Storage provider (letters and digits, 3–45)', () => {
    const hub = /param taskHubName string = '([^']+)'/.exec(bicep('main.bicep'))?.[1] ?? '';
    expect(hub).toMatch(/^[A-Za-z][A-Za-z0-9]{2,44}$/);
    expect(local.Values.RINGMASTER_TASK_HUB).toMatch(/^[A-Za-z][A-Za-z0-9]{2,44}$/);
  });
});
