/** The Function App is Flex Consumption on Node 22, deployed by azd, with identity everywhere (read from the compiled ARM JSON). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { type ArmTemplate, allResources, describeWithArm, moduleTemplate, ofType } from './bicep-cli';
import { bicep, root } from './bicep-text';

const app = bicep('modules/function-app.bicep');
const main = bicep('main.bicep');

describeWithArm('Function App (compiled ARM JSON)', (arm) => {
  const app = () => moduleTemplate(arm(), 'function-app');
  const one = (t: ArmTemplate, type: string) => {
    const found = ofType(t, type);
    expect(found, type).toHaveLength(1);
    return found[0]!;
  };

  it('runs on a Flex Consumption plan (FC1), Linux', () => {
    const plan = one(app(), 'Microsoft.Web/serverfarms');
    expect(plan.sku).toEqual({ tier: 'FlexConsumption', name: 'FC1' });
    expect(plan.properties).toMatchObject({ reserved: true });
    expect(one(app(), 'Microsoft.Web/sites').kind).toBe('functionapp,linux');
  });

  it('functionAppConfig: node 22, deployment storage through the user-assigned identity, HTTPS only', () => {
    const site = one(app(), 'Microsoft.Web/sites');
    expect(site.identity).toMatchObject({ type: 'UserAssigned' });
    expect(site.properties).toMatchObject({
      httpsOnly: true,
      keyVaultReferenceIdentity: "[parameters('identityId')]",
      siteConfig: { minTlsVersion: '1.2', ftpsState: 'Disabled' },
      functionAppConfig: {
        runtime: { name: 'node', version: '22' },
        deployment: { storage: { type: 'blobContainer', authentication: { type: 'UserAssignedIdentity', userAssignedIdentityResourceId: "[parameters('identityId')]" } } },
      },
    });
  });

  it('the host storage account refuses shared keys; the identity has blob, queue and table data roles on it', () => {
    expect(one(moduleTemplate(arm(), 'storage'), 'Microsoft.Storage/storageAccounts').properties).toMatchObject({ allowSharedKeyAccess: false, allowBlobPublicAccess: false, minimumTlsVersion: 'TLS1_2' });
    const vars = app().variables ?? {};
    const roles = new Set(Object.values(vars).filter((v) => typeof v === 'string'));
    for (const role of ['b7e6dc6d-f1e8-4753-8033-0f276bb0955b', '974c5e8b-45b9-4653-ba55-5f855dd0fb88', '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3']) expect(roles.has(role), role).toBe(true);
    const assignments = ofType(app(), 'Microsoft.Authorization/roleAssignments');
    const storageRoles = assignments.find((a) => a.copy?.name === 'storageRoles');
    expect(storageRoles?.copy?.count).toBe("[length(createArray(variables('storageBlobDataOwner'), variables('storageQueueDataContributor'), variables('storageTableDataContributor')))]");
    expect(storageRoles?.scope).toBe("[resourceId('Microsoft.Storage/storageAccounts', parameters('hostStorageName'))]");
  });

  it('App Service authentication (Entra ID) only when a sign-in app registration is named; anonymous requests pass to the key and the dashboard\'s own check', () => {
    const configs = ofType(app(), 'Microsoft.Web/sites/config');
    const signIn = configs.find((c) => String(c.name).includes('authsettingsV2'));
    expect(signIn?.condition).toBe("[not(empty(parameters('signInClientId')))]");
    expect(signIn?.properties).toMatchObject({
      platform: { enabled: true },
      globalValidation: { requireAuthentication: false, unauthenticatedClientAction: 'AllowAnonymous' },
      identityProviders: { azureActiveDirectory: { enabled: true, registration: { clientId: "[parameters('signInClientId')]" } } },
    });
    const settings = String(configs.find((c) => String(c.name).includes('appsettings'))?.properties);
    expect(settings).toContain("'RINGMASTER_OPERATOR_IDENTITY', if(empty(parameters('signInClientId')), 'key', 'entra')");
    expect(arm().parameters?.signInClientId).toMatchObject({ type: 'string', defaultValue: '' });
  });

  it('Application Insights over Log Analytics, local auth off', () => {
    const ai = one(moduleTemplate(arm(), 'monitoring'), 'Microsoft.Insights/components');
    expect(ai.properties).toMatchObject({ DisableLocalAuth: true, WorkspaceResourceId: "[resourceId('Microsoft.OperationalInsights/workspaces', parameters('logAnalyticsName'))]" });
  });

  it('Key Vault in RBAC mode; the app gets Key Vault Secrets User on that vault only', () => {
    const kv = moduleTemplate(arm(), 'keyvault');
    expect(one(kv, 'Microsoft.KeyVault/vaults').properties).toMatchObject({ enableRbacAuthorization: true, enableSoftDelete: true });
    const [user] = ofType(kv, 'Microsoft.Authorization/roleAssignments');
    expect(user?.scope).toBe("[resourceId('Microsoft.KeyVault/vaults', parameters('keyVaultName'))]");
  });

  it('main.bicep is deployed at subscription scope and creates every resource type the deployment needs', () => {
    expect(arm().$schema).toContain('subscriptionDeploymentTemplate.json');
    const types = new Set(allResources(arm()).map((r) => r.resource.type));
    for (const t of [
      'Microsoft.Resources/resourceGroups',
      'Microsoft.ManagedIdentity/userAssignedIdentities',
      'Microsoft.Authorization/roleDefinitions',
      'Microsoft.Authorization/roleAssignments',
      'Microsoft.OperationalInsights/workspaces',
      'Microsoft.Insights/components',
      'Microsoft.Storage/storageAccounts',
      'Microsoft.Storage/storageAccounts/blobServices/containers',
      'Microsoft.KeyVault/vaults',
      'Microsoft.EventGrid/systemTopics',
      'Microsoft.EventGrid/topics',
      'Microsoft.Web/serverfarms',
      'Microsoft.Web/sites',
      'Microsoft.Web/sites/config',
      'Microsoft.EventGrid/systemTopics/eventSubscriptions',
      'Microsoft.EventGrid/topics/eventSubscriptions',
      'Microsoft.Insights/actionGroups',
      'Microsoft.Insights/activityLogAlerts',
    ]) {
      expect(types.has(t), t).toBe(true);
    }
  });
});

describe('Function App', () => {
  it('main.bicep wires every module it declares and is deployed at subscription scope', () => {
    expect(main).toMatch(/^targetScope = 'subscription'/m);
    for (const m of [...main.matchAll(/module \w+ '([^']+)'/g)]) {
      expect(() => readFileSync(join(root, 'infra', m[1] ?? ''), 'utf8'), m[1]).not.toThrow();
    }
  });

  it('parameters: every main.bicep parameter without a default has a value in main.parameters.json', () => {
    const params = JSON.parse(readFileSync(join(root, 'infra/main.parameters.json'), 'utf8')) as { parameters: Record<string, unknown> };
    const declared = [...main.matchAll(/^param (\w+) \w+( =)?/gm)].map((m) => ({ name: m[1] ?? '', hasDefault: m[2] !== undefined }));
    for (const p of declared.filter((d) => !d.hasDefault && d.name !== 'notificationWebhookUrls')) expect(Object.keys(params.parameters), p.name).toContain(p.name);
    for (const name of Object.keys(params.parameters)) expect(declared.map((d) => d.name), name).toContain(name);
  });
});

describe('azure.yaml', () => {
  const azd = parseYaml(readFileSync(join(root, 'azure.yaml'), 'utf8')) as {
    name: string;
    infra: { provider: string; path: string; module: string };
    services: Record<string, { project: string; language: string; host: string }>;
    hooks: { postdeploy: { run: string; shell: string } };
  };

  it('one function service built from the repository root, Bicep infra in infra/main.bicep', () => {
    expect(azd.infra).toEqual({ provider: 'bicep', path: 'infra', module: 'main' });
    expect(azd.services.api).toEqual({ project: '.', language: 'js', host: 'function' });
    // azd finds the app by this tag.
    expect(app).toContain("'azd-service-name': 'api'");
  });

  it('wires Event Grid after deploy, through a hook that exists', () => {
    expect(azd.hooks.postdeploy.shell).toBe('sh');
    expect(() => readFileSync(join(root, azd.hooks.postdeploy.run), 'utf8')).not.toThrow();
    const hook = readFileSync(join(root, azd.hooks.postdeploy.run), 'utf8');
    expect(hook).toContain('infra/modules/wiring.bicep');
    for (const output of [...hook.matchAll(/\$\{?(RINGMASTER_[A-Z_]+)/g)].map((m) => m[1] ?? '')) {
      // The flag it sets, and its own retry knobs (optional environment values, not outputs).
      if (['RINGMASTER_WIRE_EVENTS', 'RINGMASTER_WIRE_TRIES', 'RINGMASTER_WIRE_WAIT_SECONDS'].includes(output)) continue;
      expect(main, output).toContain(`output ${output} string`);
    }
  });
});
