/**
 * Security at the edges: the HTTP API refuses calls without the function key or with a wrong one (401); Event
 * Grid deliveries are refused before the subscription's validation handshake (403) and with a wrong system key
 * (401); chat notifications to a host outside the allowlist or to a private / link-local / loopback address are
 * refused without a connection; and no secret — the function key, the Event Grid system key, the custom topic
 * key, the chat webhook URLs — appears in the runtime's log, on the console or in the ledger after a rehearsal.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkWebhookUrl, DEFAULT_ALLOWED_HOSTS } from '../../src/notify/url-policy';
import { createNotifier } from '../../src/notify/router';
import type { Notice } from '../../src/notify/notice';
import type { ChatSink } from '../../src/local/chat-sink';
import type { Simulator } from '../../src/sim';
import { handshake, rehearseInProcess, startStack, validationEvent, type Stack } from './harness';

const hooks = vi.hoisted(() => ({ sim: undefined as Simulator | undefined, sink: undefined as ChatSink | undefined }));
vi.mock('../../src/sim', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../../src/sim')>();
  return { ...mod, startSimulator: async (...a: Parameters<typeof mod.startSimulator>) => (hooks.sim = await mod.startSimulator(...a)) };
});
vi.mock('../../src/local/chat-sink', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../../src/local/chat-sink')>();
  return { ...mod, startChatSink: async (...a: Parameters<typeof mod.startChatSink>) => (hooks.sink = await mod.startChatSink(...a)) };
});

const SUB = '00000000-0000-0000-0000-000000000001';
const V170 = `/subscriptions/${SUB}/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/galProd/images/payments-api/versions/1.7.0`;
const writeEvent = (id: string) => [{ id, topic: `/subscriptions/${SUB}`, subject: V170, eventType: 'Microsoft.Resources.ResourceWriteSuccess', eventTime: new Date().toISOString(), data: { resourceUri: V170, operationName: 'Microsoft.Compute/galleries/images/versions/write', status: 'Succeeded' }, dataVersion: '2' }];

describe('the local runtime at its edges', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('HTTP API: 401 without the function key or with a wrong one', async () => {
    const url = `${stack.host.url}/api/releases`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { 'x-functions-key': 'wrong' } })).status).toBe(401);
    expect((await fetch(`${url}?code=${'x'.repeat(stack.functionKey.length)}`)).status).toBe(401);
    expect((await fetch(`${url}/anything/demote`, { method: 'POST', headers: { 'x-functions-key': `${stack.functionKey}x` }, body: '{}' })).status).toBe(401);
    const ok = await fetch(url, { headers: { 'x-functions-key': stack.functionKey } });
    expect(ok.status).toBe(200);
  });

  it('Event Grid: deliveries before the validation handshake are refused, and a wrong system key is 401', async () => {
    const post = (fn: 'onResourceEvent' | 'onReleaseEvent', body: unknown, code?: string, type = 'Notification') =>
      fetch(stack.hook(fn, code), { method: 'POST', headers: { 'aeg-event-type': type, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const before = await post('onResourceEvent', writeEvent('sec-1'));
    expect(before.status).toBe(403);
    expect(((await before.json()) as { error: { code: string } }).error.code).toBe('NotValidated');
    const cloud = { specversion: '1.0', id: 'sec-2', source: '/x', type: 'ringmaster.image.version.published', data: { versionId: V170 } };
    expect((await post('onReleaseEvent', cloud)).status).toBe(403);
    expect((await stack.host.runtime.list()).length).toBe(0);
    // Wrong or missing system key: 401, handshake included.
    expect((await post('onResourceEvent', [validationEvent('sec-3')], 'wrong-key', 'SubscriptionValidation')).status).toBe(401);
    expect((await fetch(stack.hook('onReleaseEvent', ''), { method: 'OPTIONS', headers: { 'WebHook-Request-Origin': 'eventgrid.azure.net' } })).status).toBe(401);
    // CloudEvents abuse protection without an origin is no handshake.
    expect((await fetch(stack.hook('onReleaseEvent'), { method: 'OPTIONS' })).status).toBe(400);
    expect((await post('onReleaseEvent', cloud)).status).toBe(403);
    await handshake(stack);
    expect((await post('onResourceEvent', writeEvent('sec-4'))).status).toBe(200);
    expect((await post('onReleaseEvent', cloud)).status).toBe(200);
    expect((await post('onResourceEvent', writeEvent('sec-5'), 'wrong-key')).status).toBe(401);
  });
});

describe('notification URL policy', () => {
  const policy = { allowedHosts: DEFAULT_ALLOWED_HOSTS };
  it.each([
    ['https://evil.example.com/hooks/T000', 'a host outside the allowlist'],
    ['https://hooks.slack.com.evil.example.com/services/x', 'a look-alike host'],
    ['http://hooks.slack.com/services/x', 'plain http'],
    ['https://10.0.0.5/hook', 'RFC 1918'],
    ['https://192.168.1.10/hook', 'RFC 1918'],
    ['https://172.16.3.4/hook', 'RFC 1918'],
    ['https://169.254.169.254/metadata/instance', 'the instance metadata service (link-local)'],
    ['https://127.0.0.1:8080/hook', 'loopback without allowLoopback'],
    ['https://[::1]/hook', 'IPv6 loopback'],
    ['https://[fd00::1]/hook', 'IPv6 unique local'],
    ['https://[fe80::1]/hook', 'IPv6 link-local'],
  ])('refuses %s (%s)', (url) => {
    const r = checkWebhookUrl(url, policy);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason.length).toBeGreaterThan(0);
  });

  it('allows the Slack and Teams Workflows hosts', () => {
    expect(checkWebhookUrl('https://hooks.slack.com/services/example-not-a-secret', policy).ok).toBe(true);
    expect(checkWebhookUrl('https://prod-12.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke', policy).ok).toBe(true);
  });

  it('the notifier refuses such URLs without connecting, and never throws', async () => {
    let connections = 0;
    const server: Server = createServer((_req, res) => {
      connections++;
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const notice: Notice = { kind: 'demoted', releaseId: 'r', eventId: 'e1', versionId: V170, summary: 'test', occurredAt: new Date().toISOString() };
    try {
      for (const [i, url] of [`https://127.0.0.1:${port}/hook`, `http://127.0.0.1:${port}/hook`, 'https://10.1.2.3/hook', 'https://evil.example.com/hook'].entries()) {
        for (const channel of ['teams', 'slack'] as const) {
          const n = createNotifier(channel, 'secret-name', { resolveSecret: () => url, policy: { allowedHosts: DEFAULT_ALLOWED_HOSTS } });
          const record = await n.send({ ...notice, eventId: `${channel}-${i}` });
          expect(record.delivered).toBe(false);
          expect(record.attempts).toBe(0);
          expect(JSON.stringify(record)).not.toContain(url);
        }
      }
      // A host on the allowlist whose name resolves to loopback is refused at connect time.
      const viaDns = createNotifier('slack', 'secret-name', { resolveSecret: () => `https://localhost:${port}/hook`, policy: { allowedHosts: ['localhost'] } });
      const r = await viaDns.send({ ...notice, eventId: 'dns' });
      expect(r.delivered).toBe(false);
      expect(connections).toBe(0);
    } finally {
      server.close();
    }
  });
});

describe('no secret in logs or the ledger', () => {
  it('after a payments rehearsal, no function key, system key, topic key or webhook URL in the log, console or ledger', async () => {
    const printed: string[] = [];
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) => vi.spyOn(console, m).mockImplementation((...args: unknown[]) => void printed.push(args.map(String).join(' '))));
    let run;
    try {
      run = await rehearseInProcess('payments');
    } finally {
      for (const s of spies) s.mockRestore();
    }
    const sim = hooks.sim!;
    const sink = hooks.sink!;
    const systemKeys = [...sim.eventGrid.subs.values()].map((s) => new URL(s.endpoint).searchParams.get('code') ?? '').filter(Boolean);
    const secrets = {
      functionKey: run.runtime?.functionKey ?? '',
      systemKey: systemKeys[0] ?? '',
      topicKey: sim.topic.key,
      teamsUrl: `${sink.url}/teams/teams-payments-oncall`,
      slackUrl: `${sink.url}/slack/slack-release-channel`,
      sinkBase: sink.url,
    };
    for (const [name, value] of Object.entries(secrets)) expect(value.length, `${name} captured`).toBeGreaterThan(10);
    expect(run.report.outcome).toBe('passed');
    const ledgerText = JSON.stringify([...run.ledgers.values()]);
    const logText = [...run.logs, ...printed].join('\n');
    expect(run.logs.length).toBeGreaterThan(0);
    for (const [name, value] of Object.entries(secrets)) {
      expect(ledgerText.includes(value), `${name} in the ledger`).toBe(false);
      expect(logText.includes(value), `${name} in the log`).toBe(false);
    }
    // The report the operator shares is clean too.
    const reportText = JSON.stringify(run.report);
    for (const [name, value] of Object.entries(secrets)) expect(reportText.includes(value), `${name} in report.json`).toBe(false);
  }, 90_000);
});
