/**
 * The azd hooks, run with `sh` against stand-ins for `az` and `azd` (no Azure here: they answer as the real CLIs do
 * for the calls the hooks make, and log every call): the Event Grid flag is remembered only for an app whose
 * functions answer, and forgotten before provisioning when the app is gone.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '../..');

/**
 * Runs a hook with `az` answering `functions` to `function list`, `exists` to `functionapp show` and `principal` to
 * `eventgrid system-topic show` (empty: the topic has no identity).
 */
function runHook(hook: string, o: { functions: string[]; exists?: boolean; principal?: string; env?: Record<string, string> }) {
  const bin = mkdtempSync(join(tmpdir(), 'rm-hooks-'));
  const log = join(bin, 'calls.log');
  const stub = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/sh\necho "${name} $*" >> "${log}"\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  stub('az', `case "$*" in\n  *"function list"*) printf '${o.functions.map((f) => `app/${f}\\n`).join('')}' ;;\n  *"functionapp show"*) ${o.exists ? 'echo app' : 'exit 3'} ;;\n  *"system-topic show"*) echo '${o.principal ?? ''}' ;;\nesac`);
  stub('azd', '');
  const env = { PATH: `${bin}:${process.env.PATH}`, AZURE_RESOURCE_GROUP: 'rg-rm', RINGMASTER_FUNCTION_APP: 'func-rm', RINGMASTER_WIRE_TRIES: '2', RINGMASTER_WIRE_WAIT_SECONDS: '0', RINGMASTER_ALERT_SUBSCRIPTION_IDS: 's1,s2', AZURE_LOCATION: 'eastus', RINGMASTER_SYSTEM_TOPIC: 't', RINGMASTER_SYSTEM_TOPIC_SUBSCRIPTION_ID: 's1', RINGMASTER_SYSTEM_TOPIC_RESOURCE_GROUP: 'rg', RINGMASTER_CUSTOM_TOPIC: 'c', RINGMASTER_DEAD_LETTER_STORAGE_ID: '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st', RINGMASTER_DEAD_LETTER_CONTAINER: 'eventgrid-deadletter', RINGMASTER_SYSTEM_TOPIC_DEAD_LETTER: 'true', RINGMASTER_ALERT_RULE: 'r', RINGMASTER_ALERT_RESOURCE_GROUP: 'rga', RINGMASTER_URL: 'https://x', ...o.env };
  const r = spawnSync('sh', [join(root, 'infra/hooks', hook)], { cwd: root, env, encoding: 'utf8' });
  let calls: string[] = [];
  try {
    calls = readFileSync(log, 'utf8').trim().split('\n');
  } catch {
    calls = [];
  }
  return { status: r.status, stderr: r.stderr, stdout: r.stdout, calls };
}

describe('postdeploy: wire Event Grid only to functions that exist', () => {
  it('a function missing after the retries: exit 1 naming it, nothing wired, the flag not remembered', () => {
    const r = runHook('postdeploy.sh', { functions: ['onResourceEvent', 'onReleaseEvent'] });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('does not list the functions onAlert');
    expect(r.calls.filter((c) => c.includes('function list'))).toHaveLength(2);
    expect(r.calls.some((c) => c.includes('deployment group create'))).toBe(false);
    expect(r.calls.some((c) => c.startsWith('azd '))).toBe(false);
  });

  it('every function listed: the wiring is deployed, with one alert subscription each, then the flag is remembered', () => {
    const r = runHook('postdeploy.sh', { functions: ['onResourceEvent', 'onReleaseEvent', 'onAlert', 'api'] });
    expect(r.status, r.stderr).toBe(0);
    const deploy = r.calls.find((c) => c.includes('deployment group create'));
    expect(deploy).toContain('alertSubscriptionIds=["s1","s2"]');
    expect(r.calls.at(-1)).toBe('azd env set RINGMASTER_WIRE_EVENTS true');
  });
});

describe('preprovision: forget the flag when the app is gone', () => {
  it.each([
    ['the flag is on and the app is gone (after azd down): turned off', { RINGMASTER_WIRE_EVENTS: 'true' }, false, ['azd env set RINGMASTER_WIRE_EVENTS false']],
    ['the flag is on and the app exists: kept', { RINGMASTER_WIRE_EVENTS: 'true' }, true, []],
    ['the flag is off: nothing to do, nothing asked', { RINGMASTER_WIRE_EVENTS: 'false' }, false, []],
  ] as const)('%s', (_name, env, exists, azd) => {
    const r = runHook('preprovision.sh', { functions: [], exists, env });
    expect(r.status, r.stderr).toBe(0);
    expect(r.calls.filter((c) => c.startsWith('azd '))).toEqual(azd);
  });

  it('an existing system topic: its identity is looked up once for dead-lettering; one without is named, with the fix', () => {
    const id = '/subscriptions/s1/resourceGroups/rg-shared/providers/Microsoft.EventGrid/systemTopics/shared';
    const found = runHook('preprovision.sh', { functions: [], principal: '11111111-2222-3333-4444-555555555555', env: { RINGMASTER_SYSTEM_TOPIC_ID: id } });
    expect(found.status, found.stderr).toBe(0);
    expect(found.calls).toContain(`az eventgrid system-topic show --ids ${id} --query identity.principalId --output tsv`);
    expect(found.calls.filter((c) => c.startsWith('azd '))).toEqual(['azd env set RINGMASTER_SYSTEM_TOPIC_PRINCIPAL_ID 11111111-2222-3333-4444-555555555555']);
    const none = runHook('preprovision.sh', { functions: [], env: { RINGMASTER_SYSTEM_TOPIC_ID: id } });
    expect(none.status).toBe(0);
    expect(none.stderr).toContain(`az eventgrid system-topic update --ids ${id} --identity systemassigned`);
    expect(none.calls.filter((c) => c.startsWith('azd '))).toEqual([]);
    const known = runHook('preprovision.sh', { functions: [], env: { RINGMASTER_SYSTEM_TOPIC_ID: id, RINGMASTER_SYSTEM_TOPIC_PRINCIPAL_ID: 'p' } });
    expect(known.calls.filter((c) => c.includes('system-topic'))).toEqual([]);
  });

  it('azure.yaml runs both hooks with sh', () => {
    const yaml = readFileSync(join(root, 'azure.yaml'), 'utf8');
    expect(yaml).toMatch(/preprovision:\n\s+shell: sh\n\s+run: \.\/infra\/hooks\/preprovision\.sh/);
    expect(yaml).toMatch(/postdeploy:\n\s+shell: sh\n\s+run: \.\/infra\/hooks\/postdeploy\.sh/);
  });
});
