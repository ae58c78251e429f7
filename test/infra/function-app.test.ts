/** The Function App is Flex Consumption on Node 22, deployed by azd, with identity everywhere. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { bicep, resourceBody, root } from './bicep-text';

const app = bicep('modules/function-app.bicep');
const main = bicep('main.bicep');

describe('Function App', () => {
  it('runs on a Flex Consumption plan (FC1), Linux', () => {
    const plan = resourceBody(app, 'plan');
    expect(plan).toMatch(/tier: 'FlexConsumption'/);
    expect(plan).toMatch(/name: 'FC1'/);
    expect(plan).toMatch(/reserved: true/);
    expect(resourceBody(app, 'functionApp')).toContain("kind: 'functionapp,linux'");
  });

  it('functionAppConfig: node 22, deployment storage through the user-assigned identity', () => {
    const site = resourceBody(app, 'functionApp');
    expect(site).toMatch(/runtime: \{\s*name: 'node'\s*version: '22'\s*\}/);
    expect(site).toMatch(/type: 'blobContainer'/);
    expect(site).toMatch(/authentication: \{\s*type: 'UserAssignedIdentity'\s*userAssignedIdentityResourceId: identityId/);
    expect(site).toContain("type: 'UserAssigned'");
    expect(site).toContain('httpsOnly: true');
  });

  it('the host storage account refuses shared keys; the identity has blob, queue and table data roles on it', () => {
    expect(resourceBody(bicep('modules/storage.bicep'), 'hostStorage')).toContain('allowSharedKeyAccess: false');
    for (const role of ['b7e6dc6d-f1e8-4753-8033-0f276bb0955b', '974c5e8b-45b9-4653-ba55-5f855dd0fb88', '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3']) expect(app).toContain(role);
  });

  it('Application Insights over Log Analytics, local auth off, Entra authentication string set', () => {
    const mon = bicep('modules/monitoring.bicep');
    expect(mon).toContain('WorkspaceResourceId: workspace.id');
    expect(mon).toContain('DisableLocalAuth: true');
    expect(app).toContain("APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'");
  });

  it('Key Vault in RBAC mode; the app gets Key Vault Secrets User on that vault only', () => {
    const kv = bicep('modules/keyvault.bicep');
    expect(kv).toContain('enableRbacAuthorization: true');
    expect(resourceBody(kv, 'secretsUser')).toContain('scope: vault');
  });

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
      if (output === 'RINGMASTER_WIRE_EVENTS') continue;
      expect(main, output).toContain(`output ${output} string`);
    }
  });
});
