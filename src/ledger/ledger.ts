/**
 * The ledger: an append-only record, per release, of every observation, decision, command and result
 * with its cause. Rows are keyed by (release, sequence); the orchestrator numbers them deterministically,
 * so a replayed append sends the same row again, which is then already there (idempotent). A row once
 * written is never replaced: a different entry under a used key is refused (`LedgerConflict`), and a
 * release started again (after it failed) continues its numbering from `nextSequence`.
 */
import type { Phase } from '../core';

export type LedgerKind = 'observation' | 'decision' | 'command' | 'result' | 'notice';

export interface LedgerEntry {
  release: string;
  sequence: number;
  /** ISO time (simulated time in a rehearsal). */
  at: string;
  kind: LedgerKind;
  cause: string;
  payload: unknown;
  /** The release's phase as the row was written: a round's decisions, commands and results carry the phase its decisions left. */
  phase?: Phase;
  /** The name of the ring the release was working on then, once one had opened. */
  ring?: string;
}

export interface Ledger {
  /** Inserts rows; a row already written identically is skipped; a different one under its key throws. */
  append(entries: LedgerEntry[]): Promise<void>;
  /** One more than the highest sequence written for the release (0 when none). */
  nextSequence(release: string): Promise<number>;
  /** Every entry of a release, in sequence order. */
  list(release: string): Promise<LedgerEntry[]>;
}

export class MemoryLedger implements Ledger {
  private readonly rows = new Map<string, Map<number, LedgerEntry>>();

  async append(entries: LedgerEntry[]): Promise<void> {
    for (const e of entries) {
      let release = this.rows.get(e.release);
      if (!release) this.rows.set(e.release, (release = new Map()));
      const existing = release.get(e.sequence);
      if (existing && JSON.stringify(existing) !== JSON.stringify(e)) throw new LedgerConflict(e.release, e.sequence);
      release.set(e.sequence, e);
    }
  }

  async nextSequence(release: string): Promise<number> {
    return Math.max(-1, ...(this.rows.get(release)?.keys() ?? [])) + 1;
  }

  async list(release: string): Promise<LedgerEntry[]> {
    return [...(this.rows.get(release)?.values() ?? [])].sort((a, b) => a.sequence - b.sequence);
  }
}

/** A different entry under a key already written: the ledger never replaces a row. */
export class LedgerConflict extends Error {
  override readonly name = 'LedgerConflict';
  constructor(readonly release: string, readonly sequence: number) {
    super(`row ${sequence} of ${release} already holds a different entry; the ledger never replaces a row`);
  }
}

/** Words that must never reach the ledger: secrets are referred to by name, never by value. */
export function redact(payload: unknown): unknown {
  return JSON.parse(
    JSON.stringify(payload ?? null, (key, value: unknown) =>
      /^(url|webhookUrl|key|token|secret|password|sig)$/i.test(key) && typeof value === 'string' ? '[redacted]' : value,
    ),
  );
}
