/**
 * A `slackThread` route end to end: the plan accepts it, the engine's notify commands carry its token's secret
 * name and channel, and the app's wiring (`buildDeps`) posts them by `chat.postMessage`, one thread per release
 * (roots kept in the notice table, so a second instance replies in the first one's thread), with the token
 * resolved like a webhook secret and never shown.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildDeps, readAppSettings } from '../../src/app/wiring';
import { newRelease, noticeCommands, validatePlan, type Command, type PlanInput } from '../../src/core';
import { MemoryLedger } from '../../src/ledger/ledger';
import { type Azurite, startAzurite } from '../../src/local/azurite';
import { SUB, VERSION_170 } from './notices';
import { type Sink, startSink } from './sink';

const TOKEN = 'xoxb-111111111111-wired-bot-token';
const IMAGE = VERSION_170.replace(/\/versions\/.*$/, '');
const route = { on: ['ring-opened', 'demoted'], slackThread: { tokenSecret: 'slack-bot-token', channel: 'C0123456789' } };
const planDoc = (notify: unknown[]): PlanInput => ({ image: IMAGE, rings: [{ name: 'canary', regions: ['eastus'] }, { name: 'early', regions: ['westus3'] }], notify }) as PlanInput;

const sinks: Sink[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(sinks.splice(0).map((s) => s.close()));
});

describe('plan schema: notify[].slackThread', () => {
  it('accepts a bot token secret name and a channel id', () => {
    const r = validatePlan(planDoc([route]));
    expect(r.ok && r.plan.notify[0]).toEqual(route);
  });

  it.each([
    { name: 'a token instead of its secret name', notify: [{ on: ['demoted'], slackThread: { tokenSecret: 'https://slack.com/api?token=x', channel: 'C0123456789' } }], path: 'notify[0].slackThread.tokenSecret', message: 'never a URL' },
    { name: 'a channel name', notify: [{ on: ['demoted'], slackThread: { tokenSecret: 'slack-bot-token', channel: '#releases' } }], path: 'notify[0].slackThread.channel', message: 'Slack channel id' },
    { name: 'no channel', notify: [{ on: ['demoted'], slackThread: { tokenSecret: 'slack-bot-token' } }], path: 'notify[0].slackThread.channel', message: '' },
    { name: 'two targets in one route', notify: [{ on: ['demoted'], slack: 'slack-release-channel', slackThread: route.slackThread }], path: 'notify[0]', message: 'exactly one of teams, slack or slackThread' },
    { name: 'an unknown field', notify: [{ on: ['demoted'], slackThread: { ...route.slackThread, thread: 'x' } }], path: 'notify[0].slackThread', message: '' },
  ])('refuses $name', ({ notify, path, message }) => {
    const r = validatePlan(planDoc(notify));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path, message: expect.stringContaining(message) })]));
  });
});

describe('wiring: a slackThread route posts one thread per release', () => {
  let azurite: Azurite;
  beforeAll(async () => {
    azurite = await startAzurite();
  });
  afterAll(async () => azurite?.stop());

  it('two notices of one release share its thread (across two instances), another release starts one; the token stays out of every record and log', async () => {
    const lines: string[] = [];
    for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) vi.spyOn(console, level).mockImplementation((...a: unknown[]) => void lines.push(a.map(String).join(' ')));
    // Plain HTTP on loopback: buildDeps takes no extra CA, and the policy allows loopback only with the local flag.
    const api = await startSink((n) => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ok: true, ts: `1700000000.00020${n}` }) }), { plain: true });
    sinks.push(api);
    const env = { RINGMASTER_SUBSCRIPTION_IDS: SUB, RINGMASTER_NOTIFY_ALLOW_LOOPBACK: 'true', RINGMASTER_SECRET_SLACK_BOT_TOKEN: TOKEN, RINGMASTER_LEDGER_CONNECTION: azurite.connectionString };
    // Two instances of the app over one storage account, as on Flex Consumption.
    const instance = () => buildDeps({ ...readAppSettings(env), slackApiUrl: api.url.replace(/\/workflows\/hook$/, '/api') }, new MemoryLedger()).ports;
    const [a, b] = [instance(), instance()];

    const r = validatePlan(planDoc([route]));
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    const release = (v: string) => newRelease(r.plan, VERSION_170.replace('1.7.0', v), new Date('2026-11-02T09:00:00Z'));
    const notify = (c: Command[]) => c.filter((x): x is Extract<Command, { kind: 'notify' }> => x.kind === 'notify');
    const r170 = release('1.7.0');
    const r171 = release('1.7.1');
    const commands = [
      ...notify(noticeCommands(r170, 'ring-opened', { ring: 'canary', reason: 'ring canary is open', nextStep: 'none' })).map((c) => [c, 'payments-api-1.7.0'] as const),
      ...notify(noticeCommands(r170, 'demoted', { ring: 'canary', reason: 'the canary faulted', nextStep: 'fix the image' })).map((c) => [c, 'payments-api-1.7.0'] as const),
      ...notify(noticeCommands(r171, 'ring-opened', { ring: 'canary', reason: 'ring canary is open', nextStep: 'none' })).map((c) => [c, 'payments-api-1.7.1'] as const),
    ];
    expect(commands.map(([c]) => [c.channel, c.secretName, c.slackChannel])).toEqual(Array(3).fill(['slack', 'slack-bot-token', 'C0123456789']));

    const results = [];
    for (const [i, [c, id]] of commands.entries()) results.push(await (i === 0 ? a : b).notify(c, id));
    expect(results.map((x) => x.delivered)).toEqual([true, true, true]);
    expect(api.received.map((x) => (x.body as Record<string, string>).thread_ts)).toEqual([undefined, '1700000000.000201', undefined]);
    expect(api.received.map((x) => (x.body as Record<string, string>).channel)).toEqual(Array(3).fill('C0123456789'));
    expect(api.received[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);

    // The secret missing: a record naming the secret, not its value; nothing sent.
    const bare = buildDeps(readAppSettings({ RINGMASTER_SUBSCRIPTION_IDS: SUB }), new MemoryLedger());
    const missing = await bare.ports.notify(commands[0]![0], 'payments-api-1.7.0');
    expect(missing).toMatchObject({ delivered: false, error: 'secret slack-bot-token is not set' });
    expect(JSON.stringify([results, missing])).not.toContain(TOKEN);
    expect(lines.join('\n')).not.toContain(TOKEN);
    expect(api.received).toHaveLength(3);
  });
});
