/**
 * The ledger: an append-only record, per release, of every observation, decision, command and result
 * with its cause. Rows are keyed by (release, sequence); the orchestrator numbers them deterministically,
 * so a replayed append writes the same row again instead of a new one (idempotent).
 */
export type LedgerKind = 'observation' | 'decision' | 'command' | 'result' | 'notice';

export interface LedgerEntry {
  release: string;
  sequence: number;
  /** ISO time (simulated time in a rehearsal). */
  at: string;
  kind: LedgerKind;
  cause: string;
  payload: unknown;
}

export interface Ledger {
  append(entries: LedgerEntry[]): Promise<void>;
  /** Every entry of a release, in sequence order. */
  list(release: string): Promise<LedgerEntry[]>;
}

export class MemoryLedger implements Ledger {
  private readonly rows = new Map<string, Map<number, LedgerEntry>>();

  async append(entries: LedgerEntry[]): Promise<void> {
    for (const e of entries) {
      let release = this.rows.get(e.release);
      if (!release) this.rows.set(e.release, (release = new Map()));
      release.set(e.sequence, e);
    }
  }

  async list(release: string): Promise<LedgerEntry[]> {
    return [...(this.rows.get(release)?.values() ?? [])].sort((a, b) => a.sequence - b.sequence);
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
