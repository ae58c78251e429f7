/**
 * The ledger in Azure Table Storage (Azurite locally). PartitionKey = release, RowKey = zero-padded
 * sequence, so a partition query returns the release's entries in order. Rows are inserted, never
 * replaced: a replayed write finds its row already there.
 */
import { TableClient } from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';
import type { Phase } from '../core';
import { LedgerConflict, redact, type Ledger, type LedgerEntry, type LedgerKind } from './ledger';

const MAX_PAYLOAD_CHARS = 30_000; // a table property holds at most 64 KiB (32 K UTF-16 characters)

export class TableLedger implements Ledger {
  private ready: Promise<void> | undefined;

  constructor(private readonly table: TableClient) {}

  /**
   * One SDK retry, not the default three with back-off: a row the ledger cannot take is carried by the release
   * and written in a later round, so a storage outage must fail fast rather than hold the round for seconds.
   */
  static readonly RETRIES = { maxRetries: 1 } as const;

  /** From a storage connection string (`UseDevelopmentStorage=true` is Azurite). */
  static fromConnectionString(connectionString: string, tableName = 'ringmasterledger'): TableLedger {
    return new TableLedger(TableClient.fromConnectionString(connectionString, tableName, { allowInsecureConnection: /UseDevelopmentStorage|http:\/\/127\.0\.0\.1/.test(connectionString), retryOptions: TableLedger.RETRIES }));
  }

  /**
   * From a Table endpoint (`https://<account>.table.core.windows.net`) with Entra ID: in Azure the app's
   * managed identity, which needs "Storage Table Data Contributor" on the account (it has it for Durable
   * Functions on the host storage already), so no storage key exists anywhere.
   */
  static fromAccountUrl(accountUrl: string, credential: TokenCredential, tableName = 'ringmasterledger'): TableLedger {
    return new TableLedger(new TableClient(accountUrl, tableName, credential, { retryOptions: TableLedger.RETRIES }));
  }

  async append(entries: LedgerEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.ensureTable();
    // Transactions need one partition and at most 100 operations; `create` fails the whole batch when a row
    // exists (an activity that ran twice), and then each row is inserted alone and compared where it exists.
    const byRelease = new Map<string, LedgerEntry[]>();
    for (const e of entries) byRelease.set(e.release, [...(byRelease.get(e.release) ?? []), e]);
    for (const [release, rows] of byRelease) {
      for (let i = 0; i < rows.length; i += 100) {
        const batch = rows.slice(i, i + 100).map(toEntity);
        try {
          await this.table.submitTransaction(batch.map((e) => ['create', e]));
        } catch (err) {
          if (!isConflict(err)) throw err;
          for (const e of batch) await this.insertOnce(release, e);
        }
      }
    }
  }

  async nextSequence(release: string): Promise<number> {
    await this.ensureTable();
    let next = 0;
    const filter = `PartitionKey eq '${partitionKey(release).replace(/'/g, "''")}'`;
    for await (const row of this.table.listEntities<{ sequence?: number }>({ queryOptions: { filter, select: ['sequence'] } })) {
      next = Math.max(next, Number(row.sequence ?? -1) + 1);
    }
    return next;
  }

  private async insertOnce(release: string, e: Entity): Promise<void> {
    try {
      await this.table.createEntity(e);
    } catch (err) {
      if (!isConflict(err)) throw err;
      const existing = await this.table.getEntity<Record<string, unknown>>(e.partitionKey, e.rowKey);
      const same = (Object.keys(e) as (keyof Entity)[]).every((k) => existing[k] === e[k]);
      if (!same) throw new LedgerConflict(release, e.sequence);
    }
  }

  async list(release: string): Promise<LedgerEntry[]> {
    await this.ensureTable();
    const out: LedgerEntry[] = [];
    const filter = `PartitionKey eq '${partitionKey(release).replace(/'/g, "''")}'`;
    for await (const row of this.table.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
      out.push({
        release: String(row.release),
        sequence: Number(row.sequence),
        at: String(row.at),
        kind: String(row.kind) as LedgerKind,
        cause: String(row.cause),
        payload: safeParse(String(row.payload ?? 'null')),
        ...(typeof row.phase === 'string' ? { phase: row.phase as Phase } : {}),
        ...(typeof row.ring === 'string' ? { ring: row.ring } : {}),
      });
    }
    return out.sort((a, b) => a.sequence - b.sequence);
  }

  private ensureTable(): Promise<void> {
    this.ready ??= this.table.createTable().catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }
}

type Entity = {
  partitionKey: string;
  rowKey: string;
  release: string;
  sequence: number;
  at: string;
  kind: LedgerKind;
  cause: string;
  payload: string;
  phase?: string;
  ring?: string;
};

function toEntity(e: LedgerEntry): Entity {
  return {
    partitionKey: partitionKey(e.release),
    rowKey: String(e.sequence).padStart(10, '0'),
    release: e.release,
    sequence: e.sequence,
    at: e.at,
    kind: e.kind,
    cause: e.cause.slice(0, 4000),
    payload: JSON.stringify(redact(e.payload)).slice(0, MAX_PAYLOAD_CHARS),
    ...(e.phase ? { phase: e.phase } : {}),
    ...(e.ring ? { ring: e.ring } : {}),
  };
}

function isConflict(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { statusCode?: number }).statusCode === 409;
}

/** Table keys may not contain / \ # ? or control characters. */
function partitionKey(release: string): string {
  return release.replace(/[/\\#?\u0000-\u001f\u007f-\u009f]/g, '_');
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
