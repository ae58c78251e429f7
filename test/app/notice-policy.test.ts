/** The notice rules, one row each (src/app/notice-policy.ts): held for their write, retried, never overlapping. */
import { describe, expect, it } from 'vitest';
import type { Command } from '../../src/core';
import { afterAbandon, afterDelivery, announces, NOTICE_DEADLINE_MS, NOTICE_ROUNDS, planNotices, type NotifyCommand } from '../../src/app/notice-policy';

const NOW = Date.parse('2026-12-02T08:35:00Z');
const notice = (kind: NotifyCommand['notice']): NotifyCommand => ({ kind: 'notify', notice: kind, channel: 'teams', secretName: 'teams-oncall', dedupeKey: `k-${kind}`, cause: kind, facts: { version: '1.7.0', versionId: 'v', reason: `${kind} reason`, nextStep: 'n' } });
const demote: Command = { kind: 'demote-version', versionId: 'v', cause: 'breach' };
const throttled = { command: demote, detail: 'ARM throttled the write (429)', retryAfterMs: 120_000 };

describe('notice policy', () => {
  it.each<[string, NotifyCommand['notice'], Command, boolean]>([
    ['"demoted" waits for the demote', 'demoted', demote, true],
    ['"demoted" waits for a cancel', 'demoted', { kind: 'cancel-rolling-upgrade', scaleSetId: 's', region: 'eastus', cause: 'c' }, true],
    ['"ring-opened" waits for the lever', 'ring-opened', { kind: 'set-regional-exclude', versionId: 'v', regions: ['eastus'], excludeFromLatest: false, cause: 'c' }, true],
    ['"ring-opened" does not wait for an exclusion', 'ring-opened', { kind: 'set-regional-exclude', versionId: 'v', regions: ['eastus'], excludeFromLatest: true, cause: 'c' }, false],
    ['"completed" waits for any write', 'completed', { kind: 'start-os-upgrade', scaleSetId: 's', region: 'eastus', cause: 'c' }, true],
    ['"paused" waits for nothing', 'paused', demote, false],
  ])('%s', (_rule, kind, command, expected) => {
    expect(announces(kind, command)).toBe(expected);
  });

  it('a throttled demote holds "demoted" (one row), sends "demoting" once; next round no new row; once accepted, "demoted" goes', () => {
    const first = planNotices([], [notice('demoted')], [throttled], NOW);
    expect(first.send.map((n) => n.command.notice)).toEqual(['demoting']);
    expect(first.send[0]!.command.facts.reason).toContain('retrying after 120 s');
    expect(first.keep).toEqual([{ command: notice('demoted'), tries: 0, held: true }]);
    expect(first.rows.map((r) => r.cause)).toEqual(['teams demoted held until ARM accepts demote-version (ARM throttled the write (429); retrying after 120 s)']);
    const second = planNotices(first.keep, [], [throttled], NOW + 60_000);
    expect(second).toEqual({ send: [], keep: first.keep, rows: [] });
    const third = planNotices(second.keep, [], [], NOW + 120_000);
    expect(third.send.map((n) => n.command.notice)).toEqual(['demoted']);
    expect(third.keep).toEqual([]);
  });

  it(`an undelivered notice is tried in ${NOTICE_ROUNDS} rounds in all, then recorded as final`, () => {
    let waiting = [{ command: notice('paused'), tries: 0 }];
    const rounds: boolean[] = [];
    for (let i = 0; i < NOTICE_ROUNDS + 2 && waiting.length > 0; i++) {
      const out = afterDelivery(waiting, [{ ok: false, detail: 'HTTP 503' }]);
      rounds.push(out.rows[0]!.payload.final as boolean);
      waiting = out.keep;
    }
    expect(rounds).toEqual([...Array(NOTICE_ROUNDS - 1).fill(false), true]);
  });

  it('a notice abandoned in flight is not tried again before the notifier deadline has passed', () => {
    const out = afterAbandon([{ command: notice('demoted'), tries: 0 }], true, NOW);
    expect(out.keep[0]!.notBefore).toBe(new Date(NOW + NOTICE_DEADLINE_MS).toISOString());
    expect(out.rows[0]!.cause).toContain('still in flight when a signal arrived');
    expect(planNotices(out.keep, [], [], NOW + NOTICE_DEADLINE_MS - 1).send).toEqual([]);
    expect(planNotices(out.keep, [], [], NOW + NOTICE_DEADLINE_MS).send).toHaveLength(1);
  });
});
