/**
 * When the release orchestrator sends a notice, holds it or tries it again: pure functions over the notices
 * waiting, the commands ARM has not accepted yet and the time, so the rules have worked examples of their own
 * (test/app/notice-policy.test.ts) and the orchestrator only carries them out.
 *
 * The rules:
 *  - a notice that says a write happened waits for that write ("demoted" for the demote and the cancels,
 *    "ring-opened" for the lever, "ring-passed" and "completed" for every pending write); while "demoted" waits,
 *    "demoting" is sent once to the same route, saying what is true meanwhile;
 *  - a notice the notifier could not deliver is tried again in later rounds, NOTICE_ROUNDS rounds in all;
 *  - a notice whose attempt was abandoned in flight (a signal came first) is not tried again before the
 *    notifier's own deadline has passed, so the two attempts never overlap (the dedupe store then says whether
 *    the first one got through).
 */
import type { Command, NoticeKind } from '../core';

export type NotifyCommand = Extract<Command, { kind: 'notify' }>;

/** Rounds in which an undelivered notice is tried (each round the notifier itself retries). */
export const NOTICE_ROUNDS = 5;
/** Longer than the notifier's overall deadline per notice (15 s), so an abandoned attempt has ended. */
export const NOTICE_DEADLINE_MS = 20_000;

/** A notice that could not be delivered yet; retried on later rounds, a bounded number of times. */
export interface PendingNotice {
  command: NotifyCommand;
  tries: number;
  /** Waiting for the write it announces (recorded once). */
  held?: boolean;
  /** Not before this time: an attempt abandoned in flight must have ended (the notifier's deadline) first. */
  notBefore?: string;
}

/** A write ARM has not accepted yet, as the notices see it. */
export interface UnacceptedWrite {
  command: Command;
  detail: string;
  retryAfterMs?: number;
}

/** A ledger row the orchestrator writes for a notice decision. */
export interface NoticeRow {
  cause: string;
  payload: Record<string, unknown>;
}

export interface NoticePlan {
  /** Send these now. */
  send: PendingNotice[];
  /** Keep these for a later round. */
  keep: PendingNotice[];
  rows: NoticeRow[];
}

/** Notices that say a write happened wait for that write. */
export function announces(notice: NoticeKind, command: Command): boolean {
  switch (notice) {
    case 'demoted':
      return command.kind === 'demote-version' || command.kind === 'cancel-rolling-upgrade';
    case 'ring-opened':
      return (command.kind === 'set-regional-exclude' && !command.excludeFromLatest) || command.kind === 'set-target-regions';
    case 'completed':
    case 'ring-passed':
      return true;
    default:
      return false;
  }
}

/**
 * Which notices go out this round: the waiting ones that are due and this round's fresh ones, except those whose
 * write ARM has not accepted yet.
 *
 * Worked example: the demote was throttled (Retry-After 120 s); "demoted" is held (one row says so) and "demoting"
 * is sent in its place; next round, the demote still pending, "demoted" stays held with no new row; once ARM
 * accepted the demote, "demoted" is sent.
 */
export function planNotices(waiting: readonly PendingNotice[], fresh: readonly NotifyCommand[], unaccepted: readonly UnacceptedWrite[], nowMs: number): NoticePlan {
  const due = (n: PendingNotice) => !n.notBefore || Date.parse(n.notBefore) <= nowMs;
  const plan: NoticePlan = { send: [], keep: waiting.filter((n) => !due(n)), rows: [] };
  for (const n of [...waiting.filter(due), ...fresh.map((command): PendingNotice => ({ command, tries: 0 }))]) {
    const blocker = unaccepted.find((p) => announces(n.command.notice, p.command));
    if (!blocker) {
      plan.send.push(n);
      continue;
    }
    plan.keep.push({ ...n, held: true });
    if (n.held) continue;
    const retrying = `${blocker.detail}${blocker.retryAfterMs ? `; retrying after ${Math.round(blocker.retryAfterMs / 1000)} s` : ''}`;
    plan.rows.push({ cause: `${n.command.channel} ${n.command.notice} held until ARM accepts ${blocker.command.kind} (${retrying})`, payload: { notice: n.command.notice, channel: n.command.channel, held: true } });
    // Say what is true meanwhile, once, to the same route: the version is being demoted, not demoted.
    if (n.command.notice === 'demoted') {
      const facts = { ...n.command.facts, reason: `demoting: ARM has not accepted the write yet (${retrying}). ${n.command.facts.reason}`, nextStep: 'Nothing yet: Ringmaster retries the write and says "demoted" once ARM accepts it.' };
      plan.send.push({ command: { ...n.command, notice: 'demoting', dedupeKey: `${n.command.dedupeKey}|demoting`, facts }, tries: 0 });
    }
  }
  return plan;
}

/** What the notifier answered for each notice sent: the undelivered are kept for another round while rounds remain. */
export function afterDelivery(sent: readonly PendingNotice[], results: readonly { ok: boolean; detail: string; attempts?: number }[]): { keep: PendingNotice[]; rows: NoticeRow[] } {
  const keep: PendingNotice[] = [];
  const rows = sent.map(({ command, tries }, i): NoticeRow => {
    const result = results[i] ?? { ok: false, detail: 'no result' };
    const retry = !result.ok && tries + 1 < NOTICE_ROUNDS;
    if (retry) keep.push({ command, tries: tries + 1 });
    return { cause: `${result.detail}${retry ? ' (will retry)' : ''}`, payload: { ...ids(command), delivered: result.ok, attempts: result.attempts, round: tries + 1, final: !retry } };
  });
  return { keep, rows };
}

/**
 * Notices whose attempt did not finish in this round — a signal came first (`interrupted`), or the host failed
 * the activities: checked again once the notifier's deadline has passed (the dedupe store knows if one got through).
 */
export function afterAbandon(sent: readonly PendingNotice[], interrupted: boolean, nowMs: number): { keep: PendingNotice[]; rows: NoticeRow[] } {
  const notBefore = new Date(nowMs + NOTICE_DEADLINE_MS).toISOString();
  const how = interrupted ? 'still in flight when a signal arrived; the release acted first and' : 'failed in the host; Ringmaster';
  return {
    keep: sent.map((n) => ({ ...n, notBefore })),
    rows: sent.map((n) => ({ cause: `${n.command.channel} ${n.command.notice} to ${n.command.secretName} ${how} checks the notice again after ${notBefore}`, payload: { ...ids(n.command), delivered: false, attempts: 0, round: n.tries + 1, final: false } })),
  };
}

function ids(c: NotifyCommand) {
  return { notice: c.notice, channel: c.channel, secretName: c.secretName, dedupeKey: c.dedupeKey };
}
