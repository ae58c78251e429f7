import { afterEach, describe, expect, it } from 'vitest';
import { MemoryDedupeStore } from '../../src/notify/delivery';
import { NotificationRouter } from '../../src/notify/router';
import { createSlackNotifier } from '../../src/notify/slack';
import { createTeamsNotifier } from '../../src/notify/teams';
import { DEFAULT_ALLOWED_HOSTS, type UrlPolicy } from '../../src/notify/url-policy';
import { newDemotedNotice, newRingOpenedNotice } from './notices';
import { blockKitLimitProblems, postedSlackMessage, workflowsMessageProblems } from './payload-validators';
import { type Sink, startSink } from './sink';

const local: UrlPolicy = { allowedHosts: DEFAULT_ALLOWED_HOSTS, allowLoopback: true };
const sinks: Sink[] = [];
async function sink(...args: Parameters<typeof startSink>): Promise<Sink> {
  const s = await startSink(...args);
  sinks.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.close()));
});

/** Records waits instead of sleeping, so retry tests are instant. */
function fakeSleep() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

describe('Teams notifier against a loopback sink', () => {
  it('posts the Workflows envelope and reports delivery', async () => {
    const s = await sink(() => ({ status: 202 }));
    const teams = createTeamsNotifier({ route: 'teams-payments-oncall', url: s.url, policy: local, ca: s.ca });
    const record = await teams.send(newDemotedNotice());
    expect(record).toMatchObject({ route: 'teams-payments-oncall', channel: 'teams', kind: 'demoted', delivered: true, attempts: 1, status: 202 });
    expect(s.received).toHaveLength(1);
    const posted = s.received[0]?.body;
    expect(workflowsMessageProblems(posted)).toEqual([]);
    expect(JSON.stringify(posted)).toContain('40 % (limit 20 %)');
    expect(s.received[0]?.headers['content-type']).toBe('application/json');
  });

  it('retries a 500 then succeeds', async () => {
    const s = await sink((n) => (n === 1 ? { status: 500, body: 'boom' } : { status: 202 }));
    const { waits, sleep } = fakeSleep();
    const r = await createTeamsNotifier({ route: 't', url: s.url, policy: local, ca: s.ca, sleep, random: () => 1 }).send(newDemotedNotice());
    expect(r).toMatchObject({ delivered: true, attempts: 2 });
    expect(waits).toEqual([500]);
  });

  it('honours Retry-After on 429', async () => {
    const s = await sink((n) => (n === 1 ? { status: 429, headers: { 'retry-after': '3' } } : { status: 202 }));
    const { waits, sleep } = fakeSleep();
    const r = await createTeamsNotifier({ route: 't', url: s.url, policy: local, ca: s.ca, sleep, random: () => 0 }).send(newDemotedNotice());
    expect(r).toMatchObject({ delivered: true, attempts: 2 });
    expect(waits).toEqual([3000]);
  });

  it('does not retry a 400 and never throws', async () => {
    const s = await sink(() => ({ status: 400, body: 'bad card' }));
    const r = await createTeamsNotifier({ route: 't', url: s.url, policy: local, ca: s.ca }).send(newDemotedNotice());
    expect(r).toMatchObject({ delivered: false, attempts: 1, status: 400, error: 'HTTP 400: bad card' });
  });

  it('gives up after the bounded attempts', async () => {
    const s = await sink(() => ({ status: 503 }));
    const { sleep } = fakeSleep();
    const r = await createTeamsNotifier({ route: 't', url: s.url, policy: local, ca: s.ca, sleep, maxAttempts: 3 }).send(newDemotedNotice());
    expect(r).toMatchObject({ delivered: false, attempts: 3, status: 503 });
    expect(s.received).toHaveLength(3);
  });

  it('a hanging sink does not delay the caller beyond the timeout', async () => {
    const s = await sink(() => ({ status: 200, hang: true }));
    const started = Date.now();
    const r = await createTeamsNotifier({ route: 't', url: s.url, policy: local, ca: s.ca, timeoutMs: 300, deadlineMs: 400, maxAttempts: 5 }).send(
      newDemotedNotice(),
    );
    const elapsed = Date.now() - started;
    expect(r.delivered).toBe(false);
    expect(r.error).toContain('timed out');
    expect(elapsed).toBeLessThan(1_000);
  });

  it('a slow sink is cut off at the timeout', async () => {
    const s = await sink(() => ({ status: 202, delayMs: 2_000 }));
    const started = Date.now();
    const r = await createTeamsNotifier({ route: 't', url: s.url, policy: local, ca: s.ca, timeoutMs: 250, deadlineMs: 250 }).send(newDemotedNotice());
    expect(r).toMatchObject({ delivered: false, attempts: 1 });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('a sink that is down fails fast with a record', async () => {
    const s = await sink();
    const url = s.url;
    await s.close();
    const started = Date.now();
    const r = await createTeamsNotifier({ route: 't', url, policy: local, ca: s.ca, maxAttempts: 2, baseDelayMs: 10 }).send(newDemotedNotice());
    expect(r).toMatchObject({ delivered: false, attempts: 2 });
    expect(r.error).toMatch(/ECONNREFUSED|connect/);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('refuses a URL outside the policy without sending', async () => {
    const s = await sink();
    const r = await createTeamsNotifier({ route: 't', url: s.url, policy: { allowedHosts: DEFAULT_ALLOWED_HOSTS } }).send(newDemotedNotice());
    expect(r).toMatchObject({ delivered: false, attempts: 0 });
    expect(r.error).toContain('webhook URL refused: loopback address 127.0.0.1 refused');
    expect(s.received).toHaveLength(0);
  });

  it('dedupes per (release, event, route), including concurrent sends', async () => {
    const s = await sink(() => ({ status: 202 }));
    const dedupe = new MemoryDedupeStore();
    const teams = createTeamsNotifier({ route: 't', url: s.url, policy: local, ca: s.ca, dedupe });
    const [a, b] = await Promise.all([teams.send(newDemotedNotice()), teams.send(newDemotedNotice())]);
    const c = await teams.send(newDemotedNotice());
    const d = await teams.send(newDemotedNotice({ eventId: 'demote-2' }));
    expect([a?.delivered, b?.delivered, c.delivered, d.delivered]).toEqual([true, false, false, true]);
    expect([a?.deduped, b?.deduped, c.deduped, d.deduped]).toEqual([false, false, true, false]);
    // The concurrent one is in flight, not deduped: the first might still have failed, so it must be retried.
    expect(b?.inFlight).toBe(true);
    expect(s.received).toHaveLength(2);
  });

  it('a concurrent send of a notice whose first delivery fails is retried and then sent once', async () => {
    const s = await sink((n) => (n === 1 ? { status: 400 } : { status: 202 }));
    const dedupe = new MemoryDedupeStore();
    const teams = createTeamsNotifier({ route: 't', url: s.url, policy: local, ca: s.ca, dedupe });
    const [a, b] = await Promise.all([teams.send(newDemotedNotice()), teams.send(newDemotedNotice())]);
    expect([a?.delivered, b?.inFlight]).toEqual([false, true]);
    expect(await teams.send(newDemotedNotice())).toMatchObject({ delivered: true, deduped: false });
    expect(await teams.send(newDemotedNotice())).toMatchObject({ delivered: false, deduped: true });
    expect(s.received).toHaveLength(2);
  });

  it('a dedupe store that fails or hangs does not hold a notice up: it is sent, and the record says so', async () => {
    const s = await sink(() => ({ status: 202 }));
    const down = { claim: () => Promise.reject(new Error('ECONNREFUSED')), confirm: () => Promise.reject(new Error('ECONNREFUSED')), release: () => undefined };
    const r = await createTeamsNotifier({ route: 't', url: s.url, policy: local, ca: s.ca, dedupe: down }).send(newDemotedNotice());
    expect(r).toMatchObject({ delivered: true, attempts: 1 });
    expect(r.error).toBe('dedupe store unavailable, sent without it: ECONNREFUSED; delivered, but recording it failed: ECONNREFUSED');
    const hang = { claim: () => new Promise<never>(() => {}), confirm: () => undefined, release: () => undefined };
    const started = Date.now();
    const h = await createTeamsNotifier({ route: 't', url: s.url, policy: local, ca: s.ca, dedupe: hang, dedupeTimeoutMs: 100 }).send(newDemotedNotice());
    expect(h).toMatchObject({ delivered: true });
    expect(h.error).toContain('dedupe claim timed out after 100 ms');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('a failed delivery is not remembered, so a later retry sends', async () => {
    const s = await sink((n) => (n === 1 ? { status: 400 } : { status: 202 }));
    const teams = createTeamsNotifier({ route: 't', url: s.url, policy: local, ca: s.ca, dedupe: new MemoryDedupeStore() });
    expect((await teams.send(newDemotedNotice())).delivered).toBe(false);
    expect((await teams.send(newDemotedNotice())).delivered).toBe(true);
  });
});

describe('Slack notifier (@slack/webhook) against a loopback sink', () => {
  it('posts Block Kit and reports delivery', async () => {
    const s = await sink(() => ({ status: 200, body: 'ok' }));
    const r = await createSlackNotifier({ route: 'slack-release-channel', url: s.url, policy: local, ca: s.ca }).send(newRingOpenedNotice());
    expect(r).toMatchObject({ route: 'slack-release-channel', channel: 'slack', kind: 'ring-opened', delivered: true, attempts: 1 });
    expect(blockKitLimitProblems(postedSlackMessage(s.received[0]?.body))).toEqual([]);
    expect(JSON.stringify(s.received[0]?.body)).toContain('westus3, northeurope');
  });

  it('retries 429 with Retry-After and 500', async () => {
    const s = await sink((n) => (n === 1 ? { status: 429, headers: { 'retry-after': '2' } } : n === 2 ? { status: 500 } : { status: 200, body: 'ok' }));
    const { waits, sleep } = fakeSleep();
    const r = await createSlackNotifier({ route: 's', url: s.url, policy: local, ca: s.ca, sleep, random: () => 1 }).send(newRingOpenedNotice());
    expect(r).toMatchObject({ delivered: true, attempts: 3 });
    expect(waits).toEqual([2000, 1000]);
  });

  it('a hanging sink does not delay the caller beyond the timeout', async () => {
    const s = await sink(() => ({ status: 200, hang: true }));
    const started = Date.now();
    const r = await createSlackNotifier({ route: 's', url: s.url, policy: local, ca: s.ca, timeoutMs: 300, deadlineMs: 300 }).send(newRingOpenedNotice());
    expect(r.delivered).toBe(false);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('refuses http URLs outside loopback', async () => {
    const r = await createSlackNotifier({ route: 's', url: 'http://hooks.slack.com/services/x', policy: local }).send(newRingOpenedNotice());
    expect(r).toMatchObject({ delivered: false, attempts: 0 });
    expect(r.error).toContain('only https');
  });
});

describe('NotificationRouter', () => {
  it('routes per kind and ring, resolves secrets by name, one record per route', async () => {
    const teamsSink = await sink(() => ({ status: 202 }));
    const slackSink = await sink(() => ({ status: 200, body: 'ok' }));
    const secrets: Record<string, string> = { 'teams-payments-oncall': teamsSink.url, 'slack-release-channel': slackSink.url };
    const router = new NotificationRouter({
      routes: [
        { on: ['demoted', 'paused', 'failed'], teams: 'teams-payments-oncall' },
        { on: ['ring-opened', 'completed'], slack: 'slack-release-channel' },
        { on: ['demoted'], rings: ['broad'], slack: 'slack-release-channel' },
        { on: ['demoted'], teams: 'teams-missing' },
      ],
      resolveSecret: (name) => secrets[name],
      policy: local,
      ca: teamsSink.ca,
    });
    const demoted = await router.dispatch(newDemotedNotice());
    expect(demoted.map((r) => [r.route, r.channel, r.delivered, r.error])).toEqual([
      ['teams-payments-oncall', 'teams', true, undefined],
      ['teams-missing', 'teams', false, 'secret teams-missing is not set'],
    ]);
    const opened = await router.dispatch(newRingOpenedNotice());
    expect(opened.map((r) => [r.route, r.channel, r.delivered])).toEqual([['slack-release-channel', 'slack', true]]);
    expect(await router.dispatch(newDemotedNotice())).toMatchObject([{ deduped: true }, { deduped: false }]);
    expect(teamsSink.received).toHaveLength(1);
    expect(slackSink.received).toHaveLength(1);
  });
});
