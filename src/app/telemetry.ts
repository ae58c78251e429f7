/**
 * Decisions as telemetry: every ledger row that is a decision, a command, its result or a notice becomes one log
 * line `ringmaster.<kind> {json}`. In Azure the Functions host sends `context.log` to Application Insights as a
 * trace, so each decision is a row of `traces` to chart and alert on (queries in docs/operator-guide.md). The line
 * carries what the ledger row says — secret *names*, never their values — and emitting it never throws.
 */
import type { LedgerEntry } from '../ledger/ledger';

export const TELEMETRY_PREFIX = 'ringmaster.';
const KINDS = new Set(['decision', 'command', 'result', 'notice']);

export interface TelemetryEvent {
  name: string;
  release: string;
  sequence: number;
  at: string;
  cause: string;
  /** The command's or the result's kind (demote-version, start-os-upgrade…), the notice's kind. */
  what?: string;
  ok?: boolean;
}

/** The telemetry events of ledger rows (observations are left out: they are many and the ledger has them). */
export function telemetryOf(rows: readonly LedgerEntry[]): TelemetryEvent[] {
  return rows
    .filter((r) => KINDS.has(r.kind))
    .map((r) => {
      const p = (r.payload ?? {}) as { kind?: unknown; notice?: unknown; ok?: unknown; delivered?: unknown; commands?: unknown };
      const what = typeof p.kind === 'string' ? p.kind : typeof p.notice === 'string' ? p.notice : Array.isArray(p.commands) ? p.commands.join(',') : undefined;
      const ok = typeof p.ok === 'boolean' ? p.ok : typeof p.delivered === 'boolean' ? p.delivered : undefined;
      return { name: `${TELEMETRY_PREFIX}${r.kind}`, release: r.release, sequence: r.sequence, at: r.at, cause: r.cause.slice(0, 1000), ...(what ? { what } : {}), ...(ok !== undefined ? { ok } : {}) };
    });
}

/** Emits each event as one line; a failing sink is ignored (bookkeeping never blocks safety). */
export function emitTelemetry(rows: readonly LedgerEntry[], log: ((line: string) => void) | undefined): number {
  if (!log) return 0;
  let n = 0;
  for (const e of telemetryOf(rows)) {
    const { name, ...props } = e;
    try {
      log(`${name} ${JSON.stringify(props)}`);
      n++;
    } catch {
      // a log sink that throws is not Ringmaster's problem to surface here
    }
  }
  return n;
}
