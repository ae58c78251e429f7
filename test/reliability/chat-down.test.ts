/**
 * Chat endpoints down or slow while 1.7.0 breaches in the canary (examples/scenarios/notify-down.yaml): the
 * demotion is issued in the same round as the breach observation, before any notice is attempted, and the
 * notices are retried (by the notifier, then on later rounds) and recorded in the ledger with their outcome.
 * "Slow" answers after 3 s (below the notifier's 5 s attempt timeout), so a slow channel delivers late; the
 * rehearsal's sink is created with 20 s, so it is wrapped here to keep the test bounded.
 */
import { describe, expect, it, vi } from 'vitest';
import type { LedgerEntry } from '../../src/ledger/ledger';
import type { Scenario } from '../../src/local/scenario';
import { rehearseInProcess, scenarioWithSeed } from './harness';

vi.mock('../../src/local/chat-sink', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../../src/local/chat-sink')>();
  return { ...mod, startChatSink: (modes: Parameters<typeof mod.startChatSink>[0]) => mod.startChatSink(modes, 3_000) };
});

type NoticePayload = { notice: string; channel: string; delivered: boolean; attempts?: number; round: number; final: boolean };

function checkDemotionFirst(rows: LedgerEntry[]): void {
  const breach = rows.find((r) => r.kind === 'observation' && /^breach/.test(r.cause));
  const demote = rows.find((r) => r.kind === 'command' && (r.payload as { kind: string }).kind === 'demote-version');
  const firstNotice = rows.find((r, i) => r.kind === 'notice' && i > rows.indexOf(breach!));
  expect(breach).toBeDefined();
  expect(demote).toBeDefined();
  // Same round (same simulated instant) as the breach, and before any notice of that round.
  expect(demote!.at).toBe(breach!.at);
  expect(demote!.sequence).toBeLessThan(firstNotice?.sequence ?? Infinity);
  const result = rows.find((r) => r.sequence === demote!.sequence + 1);
  expect(result?.kind).toBe('result');
  expect((result?.payload as { ok: boolean }).ok).toBe(true);
}

async function run(chat: Scenario['chat'], seed: number) {
  const r = await rehearseInProcess(scenarioWithSeed('notify-down', seed, chat));
  const rows = r.ledgers.get('payments-api@1.7.0') ?? [];
  const notices = rows.filter((x) => x.kind === 'notice').map((x) => x.payload as NoticePayload);
  console.log(`chat ${JSON.stringify(chat)}: ${r.report.outcome}; breach→demote ${r.report.timings.breachToDemoteMs.join(',')} ms simulated; notices ${notices.map((n) => `${n.notice}/${n.channel} round ${n.round} attempts ${n.attempts ?? 0} ${n.delivered ? 'delivered' : 'not delivered'}`).join('; ')}; wall ${r.report.wallMs} ms`);
  return { r, rows, notices };
}

describe('chat endpoints down or slow', () => {
  it('both down: demotion immediate, notices retried and recorded as not delivered', async () => {
    const { r, rows, notices } = await run({ teams: 'down', slack: 'down' }, 7);
    expect(r.report.outcome, r.report.failures.join('\n')).toBe('passed');
    // The platform's halt is seen at the watcher's next poll (every simulated minute) and demoted that round.
    expect(r.report.timings.breachToDemoteMs).toHaveLength(1);
    expect(r.report.timings.breachToDemoteMs[0]!).toBeLessThanOrEqual(90_000);
    checkDemotionFirst(rows);
    const demoted = notices.filter((n) => n.notice === 'demoted');
    expect(new Set(demoted.map((n) => n.channel))).toEqual(new Set(['teams', 'slack']));
    // Retried by the notifier (several HTTP attempts per round) and again on later rounds; the last round is final.
    expect(demoted.some((n) => (n.attempts ?? 0) > 1)).toBe(true);
    expect(Math.max(...demoted.map((n) => n.round))).toBeGreaterThan(1);
    expect(demoted.filter((n) => n.final).every((n) => !n.delivered)).toBe(true);
    expect(r.report.chatMessagesReceived).toBe(0);
  }, 90_000);

  it('Teams slow, Slack down: demotion immediate, the slow channel delivers late, the down one is retried', async () => {
    const { r, rows, notices } = await run({ teams: 'slow', slack: 'down' }, 8);
    expect(r.report.outcome, r.report.failures.join('\n')).toBe('passed');
    // The platform's halt is seen at the watcher's next poll (every simulated minute) and demoted that round.
    expect(r.report.timings.breachToDemoteMs).toHaveLength(1);
    expect(r.report.timings.breachToDemoteMs[0]!).toBeLessThanOrEqual(90_000);
    checkDemotionFirst(rows);
    const teams = notices.filter((n) => n.notice === 'demoted' && n.channel === 'teams');
    const slack = notices.filter((n) => n.notice === 'demoted' && n.channel === 'slack');
    expect(teams.some((n) => n.delivered)).toBe(true);
    expect(teams.filter((n) => n.delivered)).toHaveLength(1);
    expect(Math.max(...slack.map((n) => n.round))).toBeGreaterThan(1);
    expect(slack.every((n) => !n.delivered)).toBe(true);
  }, 90_000);
});
