/**
 * The release orchestrator: one durable instance per gallery image version, a monitor loop whose rounds are
 *   observe  — re-read Azure through `observeRelease` (the truth), and take every signal that arrived;
 *   decide   — feed both to `decideAll`, with the commands of earlier rounds that are due again;
 *   execute  — safety commands first and one by one (a refused one again after its Retry-After), then the
 *              upgrade starts in batches that yield to a signal;
 *   notify   — notices after the effects, held for the write they announce (`notice-policy.ts`), never
 *              holding up a safety action;
 *   record   — the ledger last, never fatal (rows it cannot take are carried);
 *   wait     — for a signal, the engine's `wakeAt`, a retry or the idle poll.
 * It publishes a summary as custom status each round and continues as new every few rounds to keep its history
 * short, carrying what is pending.
 *
 * Deterministic: time is `currentUtcDateTime`, settings come in the input, I/O happens only in activities.
 */
import type { OrchestrationContext, Task } from 'durable-functions';
import { currentRing, decideAll, isTerminal, MAX_UPGRADE_READS_PER_ROUND, newRelease, parseDuration, pollCadence, type Command, type ReleaseEvent, type ReleasePlan, type ReleaseState } from '../core';
import type { LedgerEntry } from '../ledger/ledger';
import type { ExecuteOutput, ObserveOutput } from './activities';
import { afterAbandon, afterDelivery, planNotices, type NotifyCommand, type PendingNotice } from './notice-policy';
import { evidenceList, summarize, watchList } from './release-summary';

export const ORCHESTRATOR = 'releaseOrchestrator';
export const ACTIVITY = { observe: 'observeRelease', execute: 'executeCommand', executeMany: 'executeCommands', record: 'recordLedger' } as const;
export const SIGNAL = 'signal';
/** Upgrade starts per activity: a ring of 300 sets starts in 6 activities (each completion is one replay). */
export const START_BATCH = 50;

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
  /** Scale sets whose instances are listed per round at most (default 4, in turns, hinted first): a list is a page per 50 VMs. */
  maxInstanceReads?: number;
  /** The longest Retry-After honoured before a failed command is tried again (ms, default 1 h). */
  maxRetryAfterMs?: number;
  /**
   * What one generation hands the next. Events raised but not yet taken travel here explicitly: the
   * extension's continue-as-new discards unprocessed external events.
   */
  carry?: { state: ReleaseState; sequence: number; numbered?: boolean; pending: PendingCommand[]; notices?: PendingNotice[]; signals?: ReleaseEvent[]; unrecorded?: LedgerEntry[]; ledgerDownSince?: string; evidenceReadAt?: number };
}

/** A safety command ARM refused or could not take yet; tried again next round, not before its Retry-After. */
interface PendingCommand {
  command: Command;
  retryAfterMs?: number;
  detail: string;
  /** Not tried again before this time (ms): the retry delay, or ARM's Retry-After when longer. */
  notBefore: number;
}

const DEFAULT_INSTANCE_READS = 4;
/** Waiters yielded at each wait point: up to this many buffered signals are taken in one round. */
const WAITERS_PER_WAIT = 16;
/** A generation continues as new after this many episodes (yields), whatever its rounds. */
export const EPISODES_PER_GENERATION = 40;
/** A generation continues as new after this many signals, whatever its rounds (its history stays short). */
const SIGNALS_PER_GENERATION = 100;
const DEFAULT_MAX_RETRY_AFTER_MS = 3_600_000;
/** Ledger rows kept while the ledger is down (the newest); an outage longer than that loses the oldest. */
const MAX_UNRECORDED = 2_000;

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

/** Where a release stands, for its ledger rows: its phase and, once a ring opened, that ring's name. */
function standing(s: ReleaseState): Pick<LedgerEntry, 'phase' | 'ring'> {
  const ring = currentRing(s)?.name;
  return ring ? { phase: s.phase, ring } : { phase: s.phase };
}

/**
 * The signal inbox of one orchestrator episode. durable-functions hands a raised event to the most recently
 * yielded `waitForExternalEvent` task that is still open, and buffers it when none is open, handing buffered
 * events to waiters as they are yielded (oldest event to the first waiter). A waiter that lost a `Task.any`
 * stays open, so an event raised later — while an activity runs — completes that stale waiter.
 *
 * So: every wait point yields a fresh batch of waiters (never a waiter yielded before: the library would
 * track it twice, and one event would overwrite another), and after every yield the signal of every waiter
 * that completed is taken, in arrival order. A batch of several waiters takes a burst of buffered signals in
 * one round instead of one round each. Arrival order: buffered signals fill a batch first to last, at the
 * yield itself; live ones fill the newest open waiter first.
 */
class SignalInbox {
  /** Waiters yielded and not yet taken from, oldest first. */
  private waiters: Task[] = [];
  /** The waiters of the latest wait point. */
  private batch: Task[] = [];
  /** Signals taken in this generation. */
  taken = 0;
  /** Whether the last wait filled every waiter from the library's buffer (so more may be buffered). */
  drained = false;

  constructor(private readonly context: OrchestrationContext) {}

  /** Fresh waiters for one wait point only. */
  wait(): Task[] {
    this.batch = Array.from({ length: WAITERS_PER_WAIT }, () => this.context.df.waitForExternalEvent(SIGNAL));
    this.waiters.push(...this.batch);
    return this.batch;
  }

  /** The signals that reached a waiter since the last call, oldest first. */
  take(): ReleaseEvent[] {
    const done = this.waiters.filter((w) => w.isCompleted);
    this.taken += done.length;
    this.waiters = this.waiters.filter((w) => !w.isCompleted);
    const buffered = this.batch[0]?.isCompleted === true;
    this.drained = buffered && this.batch.every((w) => w.isCompleted);
    this.batch = [];
    return (buffered ? done : done.reverse()).map((w) => w.result as ReleaseEvent);
  }
}

export function* releaseOrchestrator(context: OrchestrationContext): Generator<Task, unknown, unknown> {
  const input = context.df.getInput() as OrchestratorInput;
  const { release } = input;
  const carry = input.carry;
  let state = carry?.state ?? newRelease(input.plan, input.versionId, context.df.currentUtcDateTime);
  let sequence = carry?.sequence ?? 0;
  let pending: PendingCommand[] = carry?.pending ?? [];
  let pendingNotices: PendingNotice[] = carry?.notices ?? [];
  let signals: ReleaseEvent[] = carry?.signals ?? [];
  let unrecorded: LedgerEntry[] = carry?.unrecorded ?? [];
  let ledgerDownSince = carry?.ledgerDownSince;
  /** When instance evidence was last read: a poll of rolling upgrades alone (polling.ts) does not read it again. */
  let evidenceReadAt = carry?.evidenceReadAt;
  /** The last wait ended on the timer (no signal came). */
  let timerFired = false;
  const evidenceEveryMs = parseDuration(input.plan.health.evidenceEvery) ?? 300_000;
  // A fresh instance (first start, or started again after a failure) learns where its ledger numbering continues.
  let numbered = carry?.numbered ?? carry !== undefined;
  const inbox = new SignalInbox(context);
  const rounds = input.roundsPerGeneration ?? 25;
  /** Episodes of this generation: each one replays every earlier round (decide included) from the start. */
  let episodes = 0;

  /** Yields one activity; a failure comes back as data (an orchestration that throws is Failed for good). */
  function* call<T>(task: Task): Generator<Task, { ok: true; value: T } | { ok: false; error: string }, unknown> {
    try {
      episodes++;
      const value = (yield task) as T;
      return { ok: true, value };
    } catch (err) {
      return { ok: false, error: err instanceof Error ? err.message.split('\n')[0]! : String(err) };
    } finally {
      signals.push(...inbox.take());
    }
  }

  /** Adds a ledger row to the round, with where the release stands as it is written (a decision's: the state it left). */
  type Row = (kind: LedgerEntry['kind'], cause: string, payload: unknown) => void;

  /** Observe: re-read ARM (the truth) for what the release waits on; a failed read is a row, never a verdict. */
  function* observe(round: number, at: string, row: Row): Generator<Task, ReleaseEvent[], unknown> {
    const watch = watchList(state);
    const hint = signals.find((s) => s.kind === 'wake-up');
    // Instance evidence is read every evidenceEvery, and in any round a signal (not the timer) brought.
    const nowMs = Date.parse(at);
    const byTimer = timerFired && signals.length === 1;
    timerFired = false;
    const evidence = evidenceReadAt === undefined || !byTimer || nowMs - evidenceReadAt >= evidenceEveryMs ? evidenceList(state) : [];
    if (evidence.length > 0) evidenceReadAt = nowMs;
    // A poll (the timer, nothing else due, platform-started upgrades being judged) reads just those upgrades; every
    // other round reads the whole watch list and the version.
    const cadence = pollCadence(state);
    const pollOnly = round > 0 && byTimer && evidence.length === 0 && cadence.phase === 'judging';
    const maxReads = input.maxUpgradeReads ?? MAX_UPGRADE_READS_PER_ROUND;
    const observedCall = yield* call<ObserveOutput>(context.df.callActivity(ACTIVITY.observe, {
      versionId: input.versionId,
      plan: input.plan,
      readFleet: round === 0 || !state.fleetObserved,
      ...(pollOnly ? { readVersion: false } : {}),
      scaleSetIds: pollOnly ? cadence.scaleSetIds.slice(0, maxReads) : upgradeReads(Object.keys(watch.scaleSets), hint, sequence, maxReads),
      instanceSetIds: upgradeReads(evidence, hint, sequence, input.maxInstanceReads ?? DEFAULT_INSTANCE_READS),
      knownReplication: state.replication,
      knownUpgrades: watch.scaleSets,
      readGates: input.plan.health.metrics.length > 0 && ['upgrading', 'soaking'].includes(state.phase),
      at,
      ...(numbered ? {} : { ledgerNext: release }),
    }));
    const observed: ObserveOutput = observedCall.ok ? observedCall.value : { events: [], errors: [`observe failed: ${observedCall.error}`], exists: true };
    if (!numbered && observed.ledgerNext !== undefined) {
      numbered = true;
      const base = observed.ledgerNext;
      unrecorded = unrecorded.map((r, i) => ({ ...r, sequence: base + i }));
      sequence = base + unrecorded.length;
    }
    for (const e of observed.errors) row('observation', e, null);
    for (const r of observed.retries ?? []) row('observation', r, { retry: true });
    const events = [...observed.events, ...signals];
    signals = [];
    return events;
  }

  /** Decide: every event of the round through the engine, with the commands carried from earlier rounds that are due. */
  function decideRound(events: ReleaseEvent[], now: Date, row: Row): Command[] {
    // A failed command is tried again once its Retry-After (or the retry delay) has passed, not before.
    const nowMs = now.getTime();
    const retried = pending.filter((p) => p.notBefore <= nowMs).map((p) => p.command);
    pending = pending.filter((p) => p.notBefore > nowMs);
    const before = state;
    const decided = decideAll(state, events, now);
    state = decided.state;
    // An upgrade start carried from an earlier round is dropped once the release stopped rolling out.
    const rolling = state.phase === 'opening' || state.phase === 'upgrading';
    const commands = rolling ? retried : retried.filter((c) => c.kind !== 'start-os-upgrade');
    const dropped = retried.length - commands.length;
    // Instance evidence is read every round: it is recorded when its verdict changes, or when it acted.
    const sameEvidence = (id: string) => before.scaleSets[id]?.evidence?.cause !== undefined && before.scaleSets[id]?.evidence?.cause === state.scaleSets[id]?.evidence?.cause;
    decided.decisions.forEach((d, i) => {
      const event = events[i]!;
      const routine = event.kind === 'version-published' || event.kind === 'wake-up' || (event.kind === 'instances-observed' && sameEvidence(event.scaleSetId));
      if (!routine || d.commands.length > 0) row('observation', d.cause, event);
      if (d.commands.length > 0) row('decision', d.cause, { commands: d.commands.map((c) => c.kind) });
      commands.push(...d.commands);
    });
    if (dropped > 0) row('observation', `${dropped} upgrade starts not sent: the release is ${state.phase}`, { dropped });
    return commands;
  }

  /** Execute: safety first, one by one; upgrade starts in batches that yield to a signal; a refused write waits for its Retry-After. */
  function* execute(commands: Command[], nowMs: number, row: Row): Generator<Task, void, unknown> {
    const carried = (command: Command, result: ExecuteOutput) => {
      row('command', command.cause, command);
      for (const r of result.retries ?? []) row('observation', r, { retry: true });
      row('result', result.detail, { ok: result.ok, kind: command.kind, ...(result.retryAfterMs ? { retryAfterMs: result.retryAfterMs } : {}) });
      if (result.ok) return;
      const wait = Math.min(input.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS, Math.max(input.retryMs, result.retryAfterMs ?? 0));
      pending.push({ command, retryAfterMs: result.retryAfterMs, detail: result.detail, notBefore: context.df.currentUtcDateTime.getTime() + wait });
    };
    for (const command of commands.filter((c) => c.kind !== 'notify' && c.kind !== 'start-os-upgrade')) {
      const executed = yield* call<ExecuteOutput>(context.df.callActivity(ACTIVITY.execute, { release, command }));
      carried(command, executed.ok ? executed.value : { ok: false, detail: `activity failed: ${executed.error}` });
    }
    // Upgrade starts fan out over a ring's sets: START_BATCH at a time, and a signal that arrives meanwhile
    // (a demote, an abort) is acted on first — the starts not yet sent wait for the next round.
    const starts = commands.filter((c) => c.kind === 'start-os-upgrade');
    for (let i = 0; i < starts.length; i += START_BATCH) {
      if (signals.length > 0) {
        for (const command of starts.slice(i)) pending.push({ command, detail: 'deferred: a signal arrived first', notBefore: nowMs });
        row('observation', `${starts.length - i} upgrade starts deferred to the next round: a signal arrived first`, { deferred: starts.length - i });
        break;
      }
      const chunk = starts.slice(i, i + START_BATCH);
      const executed = yield* call<{ results: ExecuteOutput[]; retries: string[] }>(context.df.callActivity(ACTIVITY.executeMany, { release, commands: chunk }));
      if (executed.ok) for (const r of executed.value.retries) row('observation', r, { retry: true });
      chunk.forEach((command, j) => carried(command, executed.ok ? executed.value.results[j]! : { ok: false, detail: `activity failed: ${executed.error}` }));
    }
  }

  /** Notify: after the effects, as notice-policy.ts says; returns true when a signal came while notices were in flight. */
  function* announce(commands: Command[], nowMs: number, row: Row): Generator<Task, boolean, unknown> {
    const planned = planNotices(pendingNotices, commands.filter((c): c is NotifyCommand => c.kind === 'notify'), pending, nowMs);
    pendingNotices = planned.keep;
    for (const r of planned.rows) row('notice', r.cause, r.payload);
    if (planned.send.length === 0) return false;
    // Notices never hold up a safety action: when a signal arrives while they are in flight (a slow or dead
    // chat service), the next round starts at once, and these are tried again once their attempt has ended.
    const batch = context.df.Task.all(planned.send.map((n) => context.df.callActivity(ACTIVITY.execute, { release, command: n.command })));
    episodes++;
    const first = yield context.df.Task.any([batch, ...inbox.wait()]);
    signals.push(...inbox.take());
    const interrupted = first !== batch;
    const outcome = first === batch && !batch.isFaulted ? afterDelivery(planned.send, batch.result as ExecuteOutput[]) : afterAbandon(planned.send, interrupted, nowMs);
    pendingNotices.push(...outcome.keep);
    for (const r of outcome.rows) row('notice', r.cause, r.payload);
    return interrupted;
  }

  /** Record: bookkeeping last, and never fatal: rows the ledger could not take are carried and written when it is back. */
  function* record(rows: LedgerEntry[], at: string): Generator<Task, void, unknown> {
    if (!numbered) {
      unrecorded = [...unrecorded, ...rows].slice(-MAX_UNRECORDED);
      return;
    }
    if (rows.length === 0 && unrecorded.length === 0) return;
    const batchRows = [...unrecorded, ...rows];
    const recorded = yield* call<number>(context.df.callActivity(ACTIVITY.record, batchRows));
    if (!recorded.ok) {
      ledgerDownSince ??= at;
      unrecorded = batchRows.slice(-MAX_UNRECORDED);
      return;
    }
    unrecorded = [];
    if (!ledgerDownSince) return;
    const outage: LedgerEntry = { release, sequence: sequence++, at, kind: 'observation', cause: `the ledger was unavailable from ${ledgerDownSince} to ${at}; rows of that time were written late`, payload: { ledgerOutage: { from: ledgerDownSince, to: at } }, ...standing(state) };
    ledgerDownSince = undefined;
    if (!(yield* call<number>(context.df.callActivity(ACTIVITY.record, [outage]))).ok) unrecorded = [outage];
  }

  /** Wait: for a signal, the engine's wake-up, a pending retry or the idle poll, whichever comes first. */
  function* sleep(): Generator<Task, void, unknown> {
    const waitFrom = context.df.currentUtcDateTime.getTime();
    const retryAt = Math.min(Infinity, ...pending.map((p) => p.notBefore));
    const retrying = pendingNotices.length > 0 || unrecorded.length > 0;
    const wakeAt = Math.min(state.wakeAt ? Date.parse(state.wakeAt) : Infinity, retryAt, waitFrom + (retrying ? input.retryMs : input.idlePollMs));
    const timer = context.df.createTimer(new Date(Math.max(wakeAt, waitFrom + 1)));
    episodes++;
    const winner = yield context.df.Task.any([...inbox.wait(), timer]);
    signals.push(...inbox.take());
    if (winner === timer) {
      signals.push({ kind: 'wake-up' });
      timerFired = true;
    }
    else timer.cancel();
  }

  // The monitor loop: observe → decide → execute → notify → record → wait.
  for (let round = 0; round < rounds; round++) {
    const now = context.df.currentUtcDateTime;
    const at = now.toISOString();
    const rows: LedgerEntry[] = [];
    const row: Row = (kind, cause, payload) => rows.push({ release, sequence: sequence++, at, kind, cause, payload, ...standing(state) });

    const events = yield* observe(round, at, row);
    const commands = decideRound(events, now, row);
    yield* execute(commands, now.getTime(), row);
    const interrupted = yield* announce(commands, now.getTime(), row);
    yield* record(rows, at);
    context.df.setCustomStatus(summarize(release, state));

    const settled = pending.length === 0 && pendingNotices.length === 0 && unrecorded.length === 0 && signals.length === 0;
    if (isTerminal(state.phase) && settled) return summarize(release, state);
    // Every signal is a history event replayed by every later episode: a flood of them ends the generation early.
    if (inbox.taken > SIGNALS_PER_GENERATION) break;
    // So is a run of busy rounds (a ring's hundreds of upgrade starts): replay grows with the square of episodes.
    if (episodes > EPISODES_PER_GENERATION) break;
    if (interrupted || signals.length > 0) continue;
    yield* sleep();
  }
  // Signals the library holds for want of an open waiter would be discarded with this generation. Take them
  // now, a batch of fresh waiters at a time, until a batch is not filled from the buffer (or a timer due at
  // once wins: nothing was buffered and nothing came).
  for (;;) {
    const timer = context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime()));
    const winner = yield context.df.Task.any([...inbox.wait(), timer]);
    signals.push(...inbox.take());
    if (winner === timer || !inbox.drained) break;
    timer.cancel();
  }
  context.df.continueAsNew({ ...input, carry: { state, sequence, numbered, pending, notices: pendingNotices, signals, unrecorded, ledgerDownSince, evidenceReadAt } });
  return undefined;
}
