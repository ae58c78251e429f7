/**
 * Slack threads with a bot token (`chat.postMessage` by `@slack/web-api`'s WebClient) against a loopback stub of
 * the Web API: one thread per release, the delivery layer's retries and no one else's, the URL policy, and the
 * token only ever in the Authorization header.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryDedupeStore } from '../../src/notify/delivery';
import { createNotifier, NotificationRouter } from '../../src/notify/router';
import { createSlackThreadNotifier, MemoryThreadStore, type SlackThreadOptions } from '../../src/notify/slack-thread';
import { DEFAULT_ALLOWED_HOSTS, type UrlPolicy } from '../../src/notify/url-policy';
import { newDemotedNotice, newRingOpenedNotice } from './notices';
import { blockKitLimitProblems, postedSlackMessage } from './payload-validators';
import { type Sink, type SinkReply, startSink } from './sink';

const local: UrlPolicy = { allowedHosts: DEFAULT_ALLOWED_HOSTS, allowLoopback: true };
const TOKEN = 'xoxb-000000000000-secret-bot-token';
const sinks: Sink[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(sinks.splice(0).map((s) => s.close()));
});

/** The Web API stub: `reply(n)` answers the n-th call; `posted(n)` is what WebClient sent (a form, decoded). */
async function slackApi(reply: (n: number) => SinkReply = (n) => ok(n)) {
  const sink = await startSink(reply);
  sinks.push(sink);
  const apiBase = sink.url.replace(/\/workflows\/hook$/, '/api');
  const notifier = (o: Partial<SlackThreadOptions> = {}) => createSlackThreadNotifier({ route: 'slack-bot#C0123456789', token: TOKEN, channel: 'C0123456789', policy: local, apiBase, ca: sink.ca, ...o });
  return { sink, apiBase, notifier, posted: (i: number) => postedSlackMessage(sink.received[i]?.body) };
}
const ok = (n: number): SinkReply => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ok: true, channel: 'C0123456789', ts: `1700000000.00010${n}` }) });
const slackError = (error: string): SinkReply => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ok: false, error }) });
const noSleep = { sleep: async () => {}, random: () => 0 };

describe('Slack bot-token threads (chat.postMessage) against a loopback Web API', () => {
  it('two notices of one release land in one thread; another release gets a root of its own', async () => {
    const { sink, notifier, posted } = await slackApi();
    const slack = notifier({ threads: new MemoryThreadStore() });
    const records = [
      await slack.send(newRingOpenedNotice({ releaseId: 'payments-api-1.7.0', eventId: 'open-canary' })),
      await slack.send(newDemotedNotice({ releaseId: 'payments-api-1.7.0' })),
      await slack.send(newRingOpenedNotice({ releaseId: 'payments-api-1.7.1' })),
      await slack.send(newRingOpenedNotice({ releaseId: 'payments-api-1.7.1', eventId: 'ring-2-open' })),
    ];
    expect(records.map((r) => [r.route, r.channel, r.delivered, r.attempts])).toEqual(Array(4).fill(['slack-bot#C0123456789', 'slack', true, 1]));
    expect(sink.received.map((r) => r.path)).toEqual(Array(4).fill('/api/chat.postMessage'));
    expect([0, 1, 2, 3].map((i) => [posted(i).channel, posted(i).thread_ts])).toEqual([
      ['C0123456789', undefined], // 1.7.0's root: ts …101
      ['C0123456789', '1700000000.000101'],
      ['C0123456789', undefined], // 1.7.1's root: ts …103
      ['C0123456789', '1700000000.000103'],
    ]);
    // What WebClient posted is our Block Kit message, within Slack's limits.
    expect(posted(1).text).toContain('Demoted: payments-api 1.7.0');
    expect(blockKitLimitProblems(posted(1))).toEqual([]);
  });

  it('the token travels only in the Authorization header', async () => {
    const { sink, notifier } = await slackApi();
    await notifier().send(newDemotedNotice());
    const [request] = sink.received;
    expect(request?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(JSON.stringify(request?.body)).not.toContain(TOKEN);
  });

  it('WebClient does not retry or sleep: a 429 and an internal_error are retried by the delivery layer, within its budget', async () => {
    const { sink, notifier } = await slackApi((n) => (n === 1 ? { status: 429, headers: { 'retry-after': '2' } } : n === 2 ? slackError('internal_error') : ok(n)));
    const waits: number[] = [];
    const started = Date.now();
    const r = await notifier({ sleep: async (ms) => void waits.push(ms), random: () => 1 }).send(newDemotedNotice());
    expect(r).toMatchObject({ delivered: true, attempts: 3 });
    expect(waits).toEqual([2000, 1000]); // Retry-After, then our back-off: the waits are ours, not WebClient's
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(sink.received).toHaveLength(3);
  });

  it('a final Slack error is one attempt, reported by its code', async () => {
    const { notifier } = await slackApi(() => slackError('channel_not_found'));
    expect(await notifier().send(newDemotedNotice())).toMatchObject({ delivered: false, attempts: 1, error: 'Slack error channel_not_found' });
  });

  it('a failed post loses no notice: it is not remembered as sent and not as a root, so the retry posts it as the root', async () => {
    const { notifier, posted } = await slackApi((n) => (n <= 3 ? { status: 503, body: 'down' } : ok(n)));
    const slack = notifier({ threads: new MemoryThreadStore(), dedupe: new MemoryDedupeStore(), ...noSleep });
    expect(await slack.send(newRingOpenedNotice({ releaseId: 'payments-api-1.7.0' }))).toMatchObject({ delivered: false, attempts: 3, status: 503 });
    // The engine's notice policy sends it again later (src/app/notice-policy.ts): the same notice, the same key.
    expect(await slack.send(newRingOpenedNotice({ releaseId: 'payments-api-1.7.0' }))).toMatchObject({ delivered: true, deduped: false, attempts: 1 });
    expect(await slack.send(newRingOpenedNotice({ releaseId: 'payments-api-1.7.0' }))).toMatchObject({ delivered: false, deduped: true, attempts: 0 });
    await slack.send(newDemotedNotice({ releaseId: 'payments-api-1.7.0' }));
    expect([3, 4].map((i) => posted(i).thread_ts)).toEqual([undefined, '1700000000.000104']);
  });

  it('a thread store that fails does not hold the notice up: it goes as a new root', async () => {
    const { notifier, posted } = await slackApi();
    const broken = { get: () => Promise.reject(new Error('table down')), set: () => new Promise<void>(() => {}) };
    const r = await notifier({ threads: broken, timeoutMs: 300 }).send(newDemotedNotice());
    expect(r).toMatchObject({ delivered: true, attempts: 1 });
    expect(posted(0).thread_ts).toBeUndefined();
  });

  it('the API URL passes the URL policy before any request', async () => {
    const { sink, notifier } = await slackApi();
    const off = await notifier({ apiBase: 'https://slack.evil.example/api' }).send(newDemotedNotice());
    expect(off).toMatchObject({ delivered: false, attempts: 0, error: 'Slack API URL refused: host slack.evil.example is not on the allowlist' });
    const loopback = await notifier({ policy: { allowedHosts: DEFAULT_ALLOWED_HOSTS } }).send(newDemotedNotice());
    expect(loopback.error).toContain('Slack API URL refused: loopback address 127.0.0.1 refused');
    expect(sink.received).toHaveLength(0);
  });

  it('never logs the token or puts it in a record, whatever Slack answers', async () => {
    const lines: string[] = [];
    for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) vi.spyOn(console, level).mockImplementation((...a: unknown[]) => void lines.push(a.map(String).join(' ')));
    for (const stream of [process.stdout, process.stderr]) {
      const write = stream.write.bind(stream);
      vi.spyOn(stream, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: never[]) => (lines.push(String(chunk)), write(chunk, ...rest))) as typeof stream.write);
    }
    const replies: SinkReply[] = [ok(1), slackError('invalid_auth'), { status: 500, body: 'boom' }, { status: 429 }, { status: 200, body: '<html>not json</html>' }, { status: 200, hang: true }];
    const { notifier } = await slackApi((n) => replies[n - 1] ?? ok(n));
    const down = await startSink();
    await down.close();
    const records = [];
    for (let i = 0; i < replies.length; i++) records.push(await notifier({ maxAttempts: 1, timeoutMs: 300 }).send(newDemotedNotice({ eventId: `e${i}` })));
    records.push(await notifier({ apiBase: down.url, maxAttempts: 1 }).send(newDemotedNotice()));
    records.push(await createNotifier('slack', 'slack-bot-token', { resolveSecret: () => TOKEN, policy: { allowedHosts: DEFAULT_ALLOWED_HOSTS }, slackApiBase: 'http://slack.com/api' }, 'C0123456789').send(newDemotedNotice()));
    expect(records.map((r) => r.delivered)).toEqual([true, false, false, false, false, false, false, false]);
    expect(records.map((r) => r.error ?? '').join('\n')).toMatch(/invalid_auth[\s\S]*HTTP 500[\s\S]*HTTP 429[\s\S]*timed out[\s\S]*ECONNREFUSED[\s\S]*only https/);
    expect(JSON.stringify(records)).not.toContain(TOKEN);
    expect(lines.join('\n')).not.toContain(TOKEN);
    expect(lines.join('\n')).not.toContain('secret-bot-token');
  });

  it('is built by the router from a token secret name and a channel id', async () => {
    const { apiBase, sink } = await slackApi();
    const router = new NotificationRouter({
      routes: [{ on: ['demoted'], slackThread: { tokenSecret: 'slack-bot-token', channel: 'C0123456789' } }, { slackThread: { tokenSecret: 'nope', channel: 'C0000000002' } }],
      resolveSecret: (n) => (n === 'slack-bot-token' ? TOKEN : undefined),
      policy: local,
      ...(sink.ca ? { ca: sink.ca } : {}),
      slackApiBase: apiBase,
    });
    const records = await router.dispatch(newDemotedNotice());
    expect(records.map((r) => [r.route, r.delivered, r.error])).toEqual([
      ['slack-bot-token#C0123456789', true, undefined],
      ['nope#C0000000002', false, 'secret nope is not set'],
    ]);
  });
});
