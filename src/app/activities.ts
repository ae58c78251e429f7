/**
 * The release activities: the only places where the release orchestrator touches the world.
 * Each is idempotent, so a replay or a restart that runs one again does no harm:
 *  - observeRelease re-reads ARM (the truth) through the Azure world and returns what changed, as engine events;
 *  - executeCommand carries out one engine command and returns its outcome as data (never throws);
 *  - executeCommands carries out several independent ones (a ring's upgrade starts) in one activity;
 *  - recordLedger inserts ledger rows keyed by (release, sequence); a row already written is skipped.
 */
import type { Command, ReleaseEvent, ReleasePlan, ReplicationState } from '../core';
import { Throttled, toErrorMessage } from '../azure/errors';
import { mapLimited } from '../azure/port-runtime';
import type { ReleasePorts } from './ports';
import type { LedgerEntry } from '../ledger/ledger';
import { ACTIVITY } from './release-orchestrator';
import { emitTelemetry } from './telemetry';

export interface ObserveInput {
  versionId: string;
  plan: ReleasePlan;
  readFleet: boolean;
  /** Read the version's exposure and replication (default true; a poll of rolling upgrades alone does not). */
  readVersion?: boolean;
  /** Scale sets whose rolling upgrades matter now (open regions not yet upgraded). */
  scaleSetIds: string[];
  /** Scale sets whose instances to read (the current ring's open regions, upgrading or soaking). */
  instanceSetIds?: string[];
  /** What the release already knows, so only changes come back. */
  knownReplication: Record<string, ReplicationState>;
  knownUpgrades: Record<string, string>;
  /** Read the plan's metric gates (a ring is open or soaking). */
  readGates?: boolean;
  /** Orchestrator time, for the metric window. */
  at?: string;
  /** Read where the release's ledger numbering continues (a release started again after it failed). */
  ledgerNext?: string;
}

export interface ObserveOutput {
  events: ReleaseEvent[];
  /** Why the observation is partial (an ARM read failed); the release carries on with what it has. */
  errors: string[];
  exists: boolean;
  /** Retries the adapters absorbed while observing. */
  retries?: string[];
  /** The next free ledger sequence of the release, when asked for. */
  ledgerNext?: number;
}

export async function observeRelease(input: ObserveInput, ports: ReleasePorts): Promise<ObserveOutput> {
  const { events, errors, exists } = await ports.observe({
    versionId: input.versionId,
    plan: input.plan,
    fleet: input.readFleet,
    version: input.readVersion ?? true,
    upgradesOf: input.scaleSetIds,
    ...(input.instanceSetIds ? { instancesOf: input.instanceSetIds } : {}),
    ...(input.readGates ? { gatesAt: input.at ?? new Date().toISOString() } : {}),
    knownReplication: input.knownReplication,
    knownUpgrades: input.knownUpgrades,
  });
  let ledgerNext: number | undefined;
  if (input.ledgerNext) {
    try {
      ledgerNext = await ports.ledger.nextSequence(input.ledgerNext);
    } catch (err) {
      errors.push(`ledger read failed: ${toErrorMessage(err)}`);
    }
  }
  return { events, errors, exists, retries: ports.drainRetries?.() ?? [], ...(ledgerNext !== undefined ? { ledgerNext } : {}) };
}

export interface ExecuteInput {
  release: string;
  command: Command;
}

export interface ExecuteOutput {
  ok: boolean;
  detail: string;
  attempts?: number;
  /** Retries the adapters absorbed while carrying the command out. */
  retries?: string[];
  /** ARM throttled the write and asked to wait this long (Retry-After) before the next attempt. */
  retryAfterMs?: number;
}

/** Carries out one command. Failures come back as data; notifications never throw. */
export async function executeCommand(input: ExecuteInput, ports: ReleasePorts): Promise<ExecuteOutput> {
  const result = await carryOut(input, ports);
  const retries = ports.drainRetries?.() ?? [];
  return retries.length ? { ...result, retries } : result;
}

async function carryOut(input: ExecuteInput, ports: ReleasePorts): Promise<ExecuteOutput> {
  const c = input.command;
  try {
    if (c.kind === 'notify') {
      const r = await ports.notify(c, input.release);
      return { ok: r.delivered, detail: r.delivered ? `${c.channel} ${c.notice} delivered to ${c.secretName}` : `${c.channel} ${c.notice} to ${c.secretName} not delivered: ${r.error ?? 'unknown'}`, attempts: r.attempts };
    }
    return { ok: true, detail: await ports.execute(c) };
  } catch (err) {
    return { ok: false, detail: toErrorMessage(err), ...(err instanceof Throttled && err.retryAfterMs ? { retryAfterMs: err.retryAfterMs } : {}) };
  }
}

export interface ExecuteManyInput {
  release: string;
  commands: Command[];
}

/** Upgrade starts sent by one activity at once (ARM's write budget is per subscription, not per call). */
export const EXECUTE_CONCURRENCY = 10;

/**
 * Carries out several independent commands (a ring's upgrade starts) in one activity, EXECUTE_CONCURRENCY at
 * a time: one completion for the orchestrator to replay instead of one per command. Results in input order.
 */
export async function executeCommands(input: ExecuteManyInput, ports: ReleasePorts): Promise<{ results: ExecuteOutput[]; retries: string[] }> {
  const results = await mapLimited(input.commands, EXECUTE_CONCURRENCY, (command) => carryOut({ release: input.release, command }, ports));
  return { results, retries: ports.drainRetries?.() ?? [] };
}

export async function recordLedger(entries: LedgerEntry[], ports: ReleasePorts): Promise<number> {
  await ports.ledger.append(entries);
  // Once written (rows the ledger could not take come back in a later round): one custom event per decision,
  // command, result and notice (telemetry.ts).
  emitTelemetry(entries);
  return entries.length;
}

/** Every release activity by its registered name, bound to `ports` (read when the activity runs). */
export function releaseActivities(ports: () => ReleasePorts): Record<(typeof ACTIVITY)[keyof typeof ACTIVITY], (input: unknown) => Promise<unknown>> {
  return {
    [ACTIVITY.observe]: (input) => observeRelease(input as ObserveInput, ports()),
    [ACTIVITY.execute]: (input) => executeCommand(input as ExecuteInput, ports()),
    [ACTIVITY.executeMany]: (input) => executeCommands(input as ExecuteManyInput, ports()),
    [ACTIVITY.record]: (input) => recordLedger(input as LedgerEntry[], ports()),
  };
}
