/**
 * Durable notice dedupe against Azurite: what two processes (two store instances over one table, as two Flex
 * Consumption instances or a restarted `serve`) see, and a notice posted once to a loopback sink across them.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TableDedupeStore } from '../../src/ledger/dedupe-table';
import { startAzurite, type Azurite } from '../../src/local/azurite';
import { createTeamsNotifier } from '../../src/notify/teams';
import { DEFAULT_ALLOWED_HOSTS, type UrlPolicy } from '../../src/notify/url-policy';
import { createSlackThreadNotifier } from '../../src/notify/slack-thread';
import { newDemotedNotice, newRingOpenedNotice, VERSION_170 } from '../notify/notices';
import { type Sink, startSink } from '../notify/sink';

const local: UrlPolicy = { allowedHosts: DEFAULT_ALLOWED_HOSTS, allowLoopback: true };
let azurite: Azurite;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => azurite?.stop());
const sinks: Sink[] = [];
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.close()));
});

let tables = 0;
/** Two processes over one fresh table, on a clock the test moves. */
function twoProcesses(leaseMs = 60_000) {
  const table = `notices${++tables}`;
  const clock = { t: Date.parse('2026-11-02T10:12:00Z') };
  const open = () => TableDedupeStore.fromConnectionString(azurite.connectionString, table, { leaseMs, now: () => clock.t });
  return { a: open(), b: open(), open, clock };
}

/** A key as the engine and `dedupeKey` make them: slashes (the version id), pipes and colons. */
const KEY = `payments-api-1.7.0|demoted:${VERSION_170}|demoted|canary|0|route0|teams-payments-oncall`;

describe('notice dedupe in Table Storage', () => {
  it('one claim wins; the other process sees busy, then sent once confirmed', async () => {
    const { a, b } = twoProcesses();
    const [x, y] = await Promise.all([a.claim(KEY), b.claim(KEY)]);
    expect([x.kind, y.kind].sort()).toEqual(['busy', 'claimed']);
    const [winner, loser] = x.kind === 'claimed' ? [a, b] : [b, a];
    await winner.confirm(KEY);
    expect(await loser.claim(KEY)).toEqual({ kind: 'sent' });
    expect(await winner.claim(KEY)).toEqual({ kind: 'sent' });
  });

  it('a released claim (delivery failed) can be claimed again at once', async () => {
    const { a, b } = twoProcesses();
    const c = await a.claim(KEY);
    if (c.kind !== 'claimed') throw new Error(`expected a claim, got ${c.kind}`);
    await a.release(KEY, c.token);
    expect((await b.claim(KEY)).kind).toBe('claimed');
  });

  it('a claim whose holder died expires after the lease and is taken over by one process only', async () => {
    const { a, b, open, clock } = twoProcesses(60_000);
    const dead = open();
    expect((await dead.claim(KEY)).kind).toBe('claimed'); // ... and the process dies before posting
    clock.t += 59_000;
    expect((await a.claim(KEY)).kind).toBe('busy');
    clock.t += 2_000;
    const [x, y] = await Promise.all([a.claim(KEY), b.claim(KEY)]);
    expect([x.kind, y.kind].sort()).toEqual(['busy', 'claimed']);
    // The dead holder's stale token cannot delete the new claim.
    const stale = await dead.claim(KEY);
    expect(stale.kind).toBe('busy');
  });

  it('a release with a token that is no longer current leaves the newer claim alone', async () => {
    const { a, b, clock } = twoProcesses(1_000);
    const first = await a.claim(KEY);
    if (first.kind !== 'claimed') throw new Error('expected a claim');
    clock.t += 5_000;
    expect((await b.claim(KEY)).kind).toBe('claimed'); // took the expired one over
    await a.release(KEY, first.token); // late: 412, ignored
    expect((await a.claim(KEY)).kind).toBe('busy');
  });

  it('keys longer than a Table key may be are hashed, and stay distinct', async () => {
    const { a } = twoProcesses();
    const long = `r|${'x'.repeat(2_000)}`;
    expect((await a.claim(`${long}1`)).kind).toBe('claimed');
    expect((await a.claim(`${long}2`)).kind).toBe('claimed');
    expect((await a.claim(`${long}1`)).kind).toBe('busy');
  });

  it('a notice sent by one process is not posted again by a restarted or second one', async () => {
    const s = await startSink(() => ({ status: 202 }));
    sinks.push(s);
    const { a, b, open } = twoProcesses();
    const send = (dedupe: TableDedupeStore) => createTeamsNotifier({ route: 'teams-payments-oncall', url: s.url, policy: local, ca: s.ca, dedupe }).send(newDemotedNotice());
    const [x, y] = await Promise.all([send(a), send(b)]);
    expect([x.delivered, y.delivered].sort()).toEqual([false, true]);
    expect([x, y].find((r) => !r.delivered)).toMatchObject({ inFlight: true, deduped: false });
    const restarted = await send(open());
    expect(restarted).toMatchObject({ delivered: false, deduped: true, attempts: 0 });
    expect(s.received).toHaveLength(1);
  });

  it('a notice whose delivery failed is sent by the next attempt, from any process', async () => {
    const s = await startSink((n) => (n === 1 ? { status: 400 } : { status: 202 }));
    sinks.push(s);
    const { a, b } = twoProcesses();
    const send = (dedupe: TableDedupeStore) => createTeamsNotifier({ route: 't', url: s.url, policy: local, ca: s.ca, dedupe }).send(newDemotedNotice());
    expect((await send(a)).delivered).toBe(false);
    expect((await send(b)).delivered).toBe(true);
    expect((await send(a)).deduped).toBe(true);
    expect(s.received).toHaveLength(2);
  });

  it('keeps Slack thread roots: the first root recorded wins, and a second process replies in it', async () => {
    const { a, b } = twoProcesses();
    const s = await startSink((n) => ({ status: 200, body: JSON.stringify({ ok: true, ts: `1700000000.00010${n}` }) }));
    sinks.push(s);
    const apiBase = s.url.replace(/\/workflows\/hook$/, '/api');
    const notifier = (store: TableDedupeStore) => createSlackThreadNotifier({ route: 'bot#C1', token: 'xoxb-test', channel: 'C1', policy: local, apiBase, ca: s.ca, threads: store.threads(), dedupe: store });
    await notifier(a).send(newRingOpenedNotice({ releaseId: 'payments-api-1.7.0' }));
    await notifier(b).send(newDemotedNotice());
    const bodies = s.received.map((r) => r.body as { thread_ts?: string });
    expect(bodies.map((x) => x.thread_ts)).toEqual([undefined, '1700000000.000101']);
    await b.threads().set('payments-api-1.7.0|C1', '9.9');
    expect(await a.threads().get('payments-api-1.7.0|C1')).toBe('1700000000.000101');
  });
});
