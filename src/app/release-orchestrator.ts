/**
 * The release orchestrator: one durable instance per gallery image version.
 *
 * Each round: re-read Azure through `observeRelease`, feed what changed and the signal that woke it to
 * `decide`, carry out the commands through `executeCommand` (safety commands first and one by one,
 * notifications together at the end so a slow chat service delays nothing), record everything in the
 * ledger, publish a summary as custom status, then wait for the next signal or wake-up. It continues as
 * new every few rounds to keep its history short.
 *
 * Deterministic: time is `currentUtcDateTime`, settings come in the input, I/O happens only in activities.
 */
import type { OrchestrationContext, Task } from 'durable-functions';
import { decideAll, isTerminal, newRelease, type Command, type ReleaseEvent, type ReleasePlan, type ReleaseState } from '../core';
import type { LedgerEntry } from '../ledger/ledger';
import type { ExecuteOutput, ObserveOutput } from './activities';
import { summarize, watchList } from './release-summary';

export const ORCHESTRATOR = 'releaseOrchestrator';
export const ACTIVITY = { observe: 'observeRelease', execute: 'executeCommand', record: 'recordLedger' } as const;
export const SIGNAL = 'signal';
/** Rounds in which an undelivered notice is tried again (each round the notifier itself retries). */
export const NOTICE_ROUNDS = 5;
/** Longer than the notifier's overall deadline per notice (15 s), so an abandoned attempt has ended. */
const NOTICE_DEADLINE_MS = 20_000;

export interface OrchestratorInput {
  release: string;
  versionId: string;
  plan: ReleasePlan;
  /** How long to sleep when nothing is scheduled (ms); the watcher's events usually wake it sooner. */
  idlePollMs: number;
  /** Delay before retrying commands that failed (ms). */
  retryMs: number;
  roundsPerGeneration?: number;
  /** Rolling-upgrade reads per round at most (default 50): a large open ring is read in turns, hinted sets first. */
  maxUpgradeReads?: number;
  carry?: { state: ReleaseState; sequence: number; pending: Command[]; notices?: PendingNotice[]; signal?: ReleaseEvent };
}

/** A notice that could not be delivered yet; retried on later rounds, a bounded number of times. */
interface PendingNotice {
  command: Extract<Command, { kind: 'notify' }>;
  tries: number;
  /** Not before this time: an attempt abandoned in flight must have ended (the notifier's deadline) first. */
  notBefore?: string;
}

const DEFAULT_UPGRADE_READS = 50;

/**
 * Which watched scale sets to read this round: all of them when they are few; otherwise the sets a signal
 * named first, then a window that turns with `turn`, so that every set is read every few rounds and the
 * subscription's ARM read budget holds (1,200 sets read every minute would not).
 *
 * Worked example: 300 watched sets, limit 50, a hint for set 7: set 7, then 49 sets starting at (turn × 50) mod 300.
 */
export function upgradeReads(watched: string[], signal: ReleaseEvent | undefined, turn: number, limit: number): string[] {
  if (watched.length <= limit) return watched;
  const hinted = signal?.kind === 'wake-up' ? (signal.scaleSetIds ?? []).filter((id) => watched.includes(id)) : [];
  const out = new Set(hinted.slice(0, limit));
  const start = (turn * limit) % watched.length;
  for (let i = 0; out.size < limit && i < watched.length; i++) out.add(watched[(start + i) % watched.length]!);
  return [...out];
}

export function* releaseOrchestrator(context: OrchestrationContext): Generator<Task, unknown, unknown> {
  const input = context.df.getInput() as OrchestratorInput;
  const { release } = input;
  let state = input.carry?.state ?? newRelease(input.plan, input.versionId, context.df.currentUtcDateTime);
  let sequence = input.carry?.sequence ?? 0;
  let pending: Command[] = input.carry?.pending ?? [];
  let pendingNotices: PendingNotice[] = input.carry?.notices ?? [];
  let signal: ReleaseEvent | undefined = input.carry?.signal;
  const rounds = input.roundsPerGeneration ?? 25;

  for (let round = 0; round < rounds; round++) {
    const now = context.df.currentUtcDateTime;
    const at = now.toISOString();
    const rows: LedgerEntry[] = [];
    const row = (kind: LedgerEntry['kind'], cause: string, payload: unknown) => rows.push({ release, sequence: sequence++, at, kind, cause, payload });

    const watch = watchList(state);
    const observed = (yield context.df.callActivity(ACTIVITY.observe, {
      versionId: input.versionId,
      plan: input.plan,
      readFleet: round === 0 || !state.fleetObserved,
      scaleSetIds: upgradeReads(Object.keys(watch.scaleSets), signal, sequence, input.maxUpgradeReads ?? DEFAULT_UPGRADE_READS),
      knownReplication: state.replication,
      knownUpgrades: watch.scaleSets,
      readGates: input.plan.health.metrics.length > 0 && ['upgrading', 'soaking'].includes(state.phase),
      at,
    })) as ObserveOutput;
    for (const e of observed.errors) row('observation', e, null);
    for (const r of observed.retries ?? []) row('observation', r, { retry: true });

    const events: ReleaseEvent[] = [...observed.events, ...(signal ? [signal] : [])];
    signal = undefined;
    const commands: Command[] = [...pending];
    pending = [];
    const decided = decideAll(state, events, now);
    state = decided.state;
    decided.decisions.forEach((d, i) => {
      const event = events[i]!;
      if ((event.kind !== 'version-published' && event.kind !== 'wake-up') || d.commands.length > 0) row('observation', d.cause, event);
      if (d.commands.length > 0) row('decision', d.cause, { commands: d.commands.map((c) => c.kind) });
      commands.push(...d.commands.filter((c) => c.kind !== 'schedule-wake-up'));
    });

    const safety = commands.filter((c) => c.kind !== 'notify');
    for (const command of safety) {
      const result = (yield context.df.callActivity(ACTIVITY.execute, { release, command })) as ExecuteOutput;
      row('command', command.cause, command);
      for (const r of result.retries ?? []) row('observation', r, { retry: true });
      row('result', result.detail, { ok: result.ok, kind: command.kind });
      if (!result.ok) pending.push(command);
    }
    const nowMs = now.getTime();
    const notices: PendingNotice[] = [
      ...pendingNotices.filter((n) => !n.notBefore || Date.parse(n.notBefore) <= nowMs),
      ...commands.filter((c): c is Extract<Command, { kind: 'notify' }> => c.kind === 'notify').map((command) => ({ command, tries: 0 })),
    ];
    pendingNotices = pendingNotices.filter((n) => n.notBefore && Date.parse(n.notBefore) > nowMs);
    let interrupted = false;
    if (notices.length > 0) {
      // Notices never hold up a safety action: when a signal arrives while they are in flight (a slow or dead
      // chat service), the next round starts at once, and these are tried again once their attempt has ended.
      const batch = context.df.Task.all(notices.map((n) => context.df.callActivity(ACTIVITY.execute, { release, command: n.command })));
      const external = context.df.waitForExternalEvent(SIGNAL);
      const first = yield context.df.Task.any([batch, external]);
      if (first === batch) {
        const results = batch.result as ExecuteOutput[];
        notices.forEach(({ command, tries }, i) => {
          const result = results[i]!;
          const retry = !result.ok && tries + 1 < NOTICE_ROUNDS;
          if (retry) pendingNotices.push({ command, tries: tries + 1 });
          row('notice', `${result.detail}${retry ? ' (will retry)' : ''}`, { notice: command.notice, channel: command.channel, secretName: command.secretName, dedupeKey: command.dedupeKey, delivered: result.ok, attempts: result.attempts, round: tries + 1, final: !retry });
        });
      } else {
        interrupted = true;
        signal = external.result as ReleaseEvent;
        const notBefore = new Date(nowMs + NOTICE_DEADLINE_MS).toISOString();
        for (const n of notices) {
          pendingNotices.push({ ...n, notBefore });
          row('notice', `${n.command.channel} ${n.command.notice} to ${n.command.secretName} still in flight when a signal arrived; the release acted first and checks the notice again after ${notBefore}`, { notice: n.command.notice, channel: n.command.channel, secretName: n.command.secretName, dedupeKey: n.command.dedupeKey, delivered: false, attempts: 0, round: n.tries + 1, final: false });
        }
      }
    }
    if (rows.length > 0) yield context.df.callActivity(ACTIVITY.record, rows);
    context.df.setCustomStatus(summarize(release, state));

    if (isTerminal(state.phase) && pending.length === 0 && pendingNotices.length === 0) return summarize(release, state);

    if (interrupted) continue;
    const waitFrom = context.df.currentUtcDateTime.getTime();
    const wakeAt = Math.min(
      state.wakeAt ? Date.parse(state.wakeAt) : Infinity,
      waitFrom + (pending.length > 0 || pendingNotices.length > 0 ? input.retryMs : input.idlePollMs),
    );
    const timer = context.df.createTimer(new Date(Math.max(wakeAt, waitFrom + 1)));
    const external = context.df.waitForExternalEvent(SIGNAL);
    const winner = yield context.df.Task.any([external, timer]);
    if (winner === external) {
      timer.cancel();
      signal = external.result as ReleaseEvent;
    } else signal = { kind: 'wake-up' };
  }
  context.df.continueAsNew({ ...input, carry: { state, sequence, pending, notices: pendingNotices, signal } });
  return undefined;
}
