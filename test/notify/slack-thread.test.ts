import { afterEach, describe, expect, it } from 'vitest';
import { NotificationRouter } from '../../src/notify/router';
import { createSlackThreadNotifier, MemoryThreadStore } from '../../src/notify/slack-thread';
import { DEFAULT_ALLOWED_HOSTS, type UrlPolicy } from '../../src/notify/url-policy';
import { newDemotedNotice, newRingOpenedNotice } from './notices';
import { checkSlackMessage } from './payload-checks';
import { type Sink, startSink } from './sink';

const local: UrlPolicy = { allowedHosts: DEFAULT_ALLOWED_HOSTS, allowLoopback: true };
const sinks: Sink[] = [];
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.close()));
});
async function slackApi(reply: (n: number) => { status: number; body: string; headers?: Record<string, string> }) {
  const s = await startSink(reply);
  sinks.push(s);
  return { sink: s, apiBase: s.url.replace(/\/workflows\/hook$/, '/api') };
}

describe('Slack bot-token threads (chat.postMessage) against a loopback sink', () => {
  it('posts the first notice of a release as the thread root and replies in its thread after', async () => {
    const { sink, apiBase } = await slackApi((n) => ({ status: 200, body: JSON.stringify({ ok: true, ts: `1700000000.00010${n}`, channel: 'C1' }) }));
    const threads = new MemoryThreadStore();
    const slack = createSlackThreadNotifier({ route: 'slack-bot#C1', token: 'xoxb-test', channel: 'C1', policy: local, apiBase, ca: sink.ca, threads });
    const first = await slack.send(newRingOpenedNotice({ releaseId: 'payments-api-1.7.0' }));
    const second = await slack.send(newDemotedNotice());
    expect([first.delivered, second.delivered]).toEqual([true, true]);
    expect(sink.received.map((r) => r.path)).toEqual(['/api/chat.postMessage', '/api/chat.postMessage']);
    expect(sink.received[0]?.headers.authorization).toBe('Bearer xoxb-test');
    const [a, b] = sink.received.map((r) => r.body as Record<string, unknown>);
    expect(a?.channel).toBe('C1');
    expect(a?.thread_ts).toBeUndefined();
    expect(b?.thread_ts).toBe('1700000000.000101');
    expect(checkSlackMessage(b)).toEqual([]);
  });

  it('retries internal_error, not channel_not_found', async () => {
    const { sink, apiBase } = await slackApi((n) =>
      n === 1 ? { status: 200, body: JSON.stringify({ ok: false, error: 'internal_error' }) } : { status: 200, body: JSON.stringify({ ok: true, ts: '1.2' }) },
    );
    const waits: number[] = [];
    const slack = createSlackThreadNotifier({ route: 'r', token: 't', channel: 'C1', policy: local, apiBase, ca: sink.ca, sleep: async (ms) => void waits.push(ms) });
    expect(await slack.send(newDemotedNotice())).toMatchObject({ delivered: true, attempts: 2 });

    const other = await slackApi(() => ({ status: 200, body: JSON.stringify({ ok: false, error: 'channel_not_found' }) }));
    const bad = createSlackThreadNotifier({ route: 'r', token: 't', channel: 'C9', policy: local, apiBase: other.apiBase, ca: other.sink.ca });
    expect(await bad.send(newDemotedNotice())).toMatchObject({ delivered: false, attempts: 1, error: 'Slack error channel_not_found' });
  });

  it('is wired by the router from a token secret name and a channel', async () => {
    const { sink, apiBase } = await slackApi(() => ({ status: 200, body: JSON.stringify({ ok: true, ts: '9.9' }) }));
    const router = new NotificationRouter({
      routes: [{ on: ['demoted'], slackThread: { tokenSecret: 'slack-bot-token', channel: 'C1' } }, { slackThread: { tokenSecret: 'nope', channel: 'C2' } }],
      resolveSecret: (n) => (n === 'slack-bot-token' ? 'xoxb-1' : undefined),
      policy: local,
      ca: sink.ca,
      slackApiBase: apiBase,
    });
    const records = await router.dispatch(newDemotedNotice());
    expect(records.map((r) => [r.route, r.delivered, r.error])).toEqual([
      ['slack-bot-token#C1', true, undefined],
      ['nope#C2', false, 'secret nope is not set'],
    ]);
  });
});
