/**
 * The release activities: the only places where the release orchestrator touches the world.
 * Each is idempotent, so a replay or a restart that runs one again does no harm:
 *  - observeRelease re-reads ARM (the truth) and returns what changed, as engine events;
 *  - executeCommand carries out one engine command and returns its outcome as data (never throws);
 *  - executeCommands carries out several independent ones (a ring's upgrade starts) in one activity;
 *  - recordLedger inserts ledger rows keyed by (release, sequence); a row already written is skipped.
 */
import { newestVersion, type Command, type ReleaseEvent, type ReleasePlan, type ReplicationState } from '../core';
import { Throttled, toErrorMessage } from '../azure/errors';
import type { ReleasePorts } from './ports';
import type { LedgerEntry } from '../ledger/ledger';
import { ACTIVITY } from './release-orchestrator';
import { emitTelemetry } from './telemetry';

export interface ObserveInput {
  versionId: string;
  plan: ReleasePlan;
  readFleet: boolean;
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
  const events: ReleaseEvent[] = [];
  const errors: string[] = [];
  let exists = true;
  if (input.readFleet) {
    try {
      const sets = await ports.readFleet(input.plan);
      events.push({ kind: 'fleet-observed', scaleSets: sets.map((s) => ({ id: s.id, region: s.region, capacity: s.capacity, ...(s.pinnedVersion ? { pinnedVersion: s.pinnedVersion } : {}) })) });
    } catch (err) {
      errors.push(`fleet read failed: ${toErrorMessage(err)}`);
    }
  }
  try {
    const version = await ports.readVersion(input.versionId);
    if (!version) exists = false;
    else {
      // With the fleet (a fresh start), the image's other versions: one that sorts below the newest can never be latest.
      let newestOtherVersion: string | undefined;
      if (input.readFleet) {
        try {
          const self = version.id.toLowerCase();
          // A version excluded from latest (demoted) is no obstacle: only one that can be latest is.
          newestOtherVersion = newestVersion((await ports.listVersions(input.plan.image)).filter((v) => v.id.toLowerCase() !== self && !v.excludeFromLatest))?.name;
        } catch (err) {
          errors.push(`version list failed: ${toErrorMessage(err)}`);
        }
      }
      events.push({ kind: 'version-published', versionId: version.id, excludeFromLatest: version.excludeFromLatest, targetRegions: version.targetRegions, ...(newestOtherVersion ? { newestOtherVersion } : {}) });
      for (const r of version.replication) {
        if (input.knownReplication[r.region] !== r.state) events.push({ kind: 'replication-observed', versionId: version.id, region: r.region, state: r.state });
      }
    }
  } catch (err) {
    errors.push(`version read failed: ${toErrorMessage(err)}`);
  }
  // Instance evidence before the rolling upgrades: the engine weighs a platform fault of this round against it.
  if (input.instanceSetIds?.length) {
    try {
      const lists = await ports.readInstances(input.instanceSetIds);
      lists.forEach((instances, i) => {
        if (instances) events.push({ kind: 'instances-observed', scaleSetId: input.instanceSetIds![i]!, instances });
      });
    } catch (err) {
      errors.push(`instance read failed: ${toErrorMessage(err)}`);
    }
  }
  if (input.scaleSetIds.length > 0) {
    try {
      const upgrades = await ports.readUpgrades(input.scaleSetIds);
      for (const u of upgrades) {
        if (!u) continue;
        const fingerprint = upgradeFingerprint(u);
        if (input.knownUpgrades[u.scaleSetId] === fingerprint) continue;
        events.push({ kind: 'rolling-upgrade-observed', scaleSetId: u.scaleSetId, code: u.code, startTime: u.startTime, errorCode: u.errorCode, errorMessage: u.errorMessage, progress: u.progress });
      }
    } catch (err) {
      errors.push(`rolling upgrade read failed: ${toErrorMessage(err)}`);
    }
  }
  if (input.readGates) {
    for (const gate of input.plan.health.metrics) {
      if (!gate.resourceId) continue;
      try {
        events.push({ kind: 'gate-observed', gate: gate.name, value: await ports.readMetric(gate, gate.resourceId, new Date(input.at ?? Date.now())) });
      } catch (err) {
        errors.push(`metric gate ${gate.name} read failed: ${toErrorMessage(err)}`);
      }
    }
  }
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

/** A compact identity of an upgrade observation: same fingerprint, nothing new to tell the engine. */
export function upgradeFingerprint(u: { code: string; startTime?: string; progress: { successful: number; failed: number; inProgress: number; pending: number } }): string {
  const p = u.progress;
  return `${u.code}|${u.startTime ?? ''}|${p.successful}/${p.failed}/${p.inProgress}/${p.pending}`;
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
    switch (c.kind) {
      case 'set-regional-exclude':
        await ports.setRegionalExclude(c.versionId, c.regions, c.excludeFromLatest);
        return { ok: true, detail: `targetRegions ${c.regions.join(', ')} excludeFromLatest=${c.excludeFromLatest}` };
      case 'set-target-regions':
        await ports.addTargetRegions(c.versionId, c.addRegions);
        return { ok: true, detail: `targetRegions += ${c.addRegions.join(', ')}` };
      case 'demote-version':
        await ports.demote(c.versionId);
        return { ok: true, detail: 'publishingProfile.excludeFromLatest=true' };
      case 'cancel-rolling-upgrade':
        await ports.cancelRollingUpgrade(c.scaleSetId);
        return { ok: true, detail: `rolling upgrade cancelled on ${c.scaleSetId}` };
      case 'start-os-upgrade':
        await ports.startOsUpgrade(c.scaleSetId);
        return { ok: true, detail: `OS upgrade started on ${c.scaleSetId}` };
      case 'start-rebake':
        await ports.runImageTemplate(c.imageTemplateId);
        return { ok: true, detail: `image template run started: ${c.imageTemplateId}` };
      case 'notify': {
        const r = await ports.notify(c, input.release);
        return { ok: r.delivered, detail: r.delivered ? `${c.channel} ${c.notice} delivered to ${c.secretName}` : `${c.channel} ${c.notice} to ${c.secretName} not delivered: ${r.error ?? 'unknown'}`, attempts: r.attempts };
      }
      case 'schedule-wake-up':
        return { ok: true, detail: `wake-up at ${c.at}` };
    }
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
  const results: ExecuteOutput[] = new Array(input.commands.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < input.commands.length; i = next++) results[i] = await carryOut({ release: input.release, command: input.commands[i]! }, ports);
  };
  await Promise.all(Array.from({ length: Math.min(EXECUTE_CONCURRENCY, input.commands.length) }, worker));
  return { results, retries: ports.drainRetries?.() ?? [] };
}

export async function recordLedger(entries: LedgerEntry[], ports: ReleasePorts, log?: (line: string) => void): Promise<number> {
  await ports.ledger.append(entries);
  // Once written (rows the ledger could not take come back in a later round): one telemetry line per decision.
  emitTelemetry(entries, log);
  return entries.length;
}

/**
 * Every release activity by its registered name, bound to `ports` (read when the activity runs). The host passes
 * its invocation context; its `log` carries the decision telemetry (Application Insights traces in Azure).
 */
export function releaseActivities(ports: () => ReleasePorts): Record<(typeof ACTIVITY)[keyof typeof ACTIVITY], (input: unknown, context?: { log(line: string): void }) => Promise<unknown>> {
  return {
    [ACTIVITY.observe]: (input) => observeRelease(input as ObserveInput, ports()),
    [ACTIVITY.execute]: (input) => executeCommand(input as ExecuteInput, ports()),
    [ACTIVITY.executeMany]: (input) => executeCommands(input as ExecuteManyInput, ports()),
    [ACTIVITY.record]: (input, context) => recordLedger(input as LedgerEntry[], ports(), context && ((line) => context.log(line))),
  };
}
