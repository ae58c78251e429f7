/**
 * Durable notice dedupe in Azure Table Storage (Azurite locally), in a table of its own (`ringmasterNotices`):
 * one entity per `(release, event, route)` key, so a restarted process, a replayed activity or a second Flex
 * Consumption instance never posts a notice twice, and never loses one.
 *
 * Why reserve-then-confirm, not "record after delivery":
 * - Recording only after a 2xx (`has` then post then `createEntity`) sends twice whenever two deliveries of one key
 *   overlap — two instances, or an activity retried while its first run still posts — because both read "absent"
 *   before either writes. That is the common case on Flex Consumption, not a corner.
 * - Reserving first (`createEntity` of `{ state: 'reserved' }`: insert-if-absent, 409 = someone has it) lets one
 *   delivery win. The winner posts, then writes `{ state: 'sent' }`; on failure it deletes its reservation (with
 *   its ETag, so it never deletes a newer one) and the next retry reserves again.
 * - A crash between reserving and confirming leaves a reservation nobody finishes. It expires after `leaseMs`
 *   (longer than a delivery's whole deadline, 15 s by default): a later retry takes it over with an ETag-guarded
 *   update (two taking over at once: one wins, the other gets 412 and reports the key busy). So a crash before
 *   the post delays the notice by at most the lease, and a crash after the post but before the confirm sends it
 *   once more — the only duplicate left, and unavoidable while chat webhooks take no idempotency key.
 * - While a live reservation exists, another delivery answers `busy`: not delivered, so its caller retries later
 *   and then finds `sent` (or an expired claim it may take). Reporting `busy` as delivered would lose the notice
 *   when the holder's post fails.
 *
 * Keys: PartitionKey is the release (the key's first field), RowKey the whole key; both percent-encoded, since
 * Table keys may not hold `/ \ # ?` (version ids have slashes), and hashed when longer than the 1 KiB a key may be.
 * https://learn.microsoft.com/rest/api/storageservices/understanding-the-table-service-data-model#characters-disallowed-in-key-fields
 */
import { createHash, randomUUID } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';

/**
 * The shapes of the notifier's `DedupeStore` and `ThreadStore` (src/notify), written out here because the
 * ledger layer imports no outer layer; TypeScript checks that this store fits them where wiring passes it.
 */
export type DedupeClaim = { kind: 'claimed'; token: string } | { kind: 'sent' } | { kind: 'busy' };
interface ThreadStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, ts: string): Promise<void>;
}

export const NOTICES_TABLE = 'ringmasterNotices';

/** Default lease of a reservation: four times a delivery's default deadline (15 s). */
const DEFAULT_LEASE_MS = 60_000;

interface NoticeEntity {
  partitionKey: string;
  rowKey: string;
  /** The dedupe key as given (keys are encoded). */
  key: string;
  state: 'reserved' | 'sent';
  /** Which process reserved it (diagnostics only). */
  owner: string;
  /** ISO 8601: when the reservation was made, or when it was confirmed. */
  at: string;
}

export interface TableDedupeOptions {
  /** How long a reservation holds before another delivery may take it over (default 60 s; keep it above the delivery deadline). */
  leaseMs?: number;
  now?: () => number;
}

export class TableDedupeStore {
  private ready: Promise<void> | undefined;
  private readonly owner = randomUUID();
  private readonly leaseMs: number;
  private readonly now: () => number;

  constructor(
    private readonly table: TableClient,
    options: TableDedupeOptions = {},
  ) {
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.now = options.now ?? Date.now;
  }

  /** From a storage connection string (Azurite's included). Few SDK retries: `deliver` bounds every call anyway. */
  static fromConnectionString(connectionString: string, tableName = NOTICES_TABLE, options?: TableDedupeOptions): TableDedupeStore {
    const allowInsecureConnection = /UseDevelopmentStorage|http:\/\/127\.0\.0\.1/.test(connectionString);
    return new TableDedupeStore(TableClient.fromConnectionString(connectionString, tableName, { allowInsecureConnection, retryOptions: { maxRetries: 1 } }), options);
  }

  /** From a Table endpoint with Entra ID (the app's managed identity: "Storage Table Data Contributor", as for the ledger). */
  static fromAccountUrl(accountUrl: string, credential: TokenCredential, tableName = NOTICES_TABLE, options?: TableDedupeOptions): TableDedupeStore {
    return new TableDedupeStore(new TableClient(accountUrl, tableName, credential, { retryOptions: { maxRetries: 1 } }), options);
  }

  async claim(key: string): Promise<DedupeClaim> {
    await this.ensureTable();
    const ids = entityKeys(key);
    const reservation = (): NoticeEntity => ({ ...ids, key, state: 'reserved', owner: this.owner, at: new Date(this.now()).toISOString() });
    // Twice at most: a reservation deleted between our create and our read is simply gone, so create again.
    for (let round = 0; round < 2; round++) {
      try {
        const created = await this.table.createEntity(reservation());
        return { kind: 'claimed', token: created.etag ?? '*' };
      } catch (e) {
        if (statusOf(e) !== 409) throw e;
      }
      let existing: NoticeEntity & { etag: string };
      try {
        existing = await this.table.getEntity<NoticeEntity>(ids.partitionKey, ids.rowKey);
      } catch (e) {
        if (statusOf(e) === 404) continue;
        throw e;
      }
      if (existing.state === 'sent') return { kind: 'sent' };
      const age = this.now() - Date.parse(existing.at);
      if (Number.isFinite(age) && age < this.leaseMs) return { kind: 'busy' };
      // An expired reservation (its holder died): take it over, unless someone else just did.
      try {
        const taken = await this.table.updateEntity(reservation(), 'Replace', { etag: existing.etag });
        return { kind: 'claimed', token: taken.etag ?? '*' };
      } catch (e) {
        if (statusOf(e) === 412 || statusOf(e) === 404) return { kind: 'busy' };
        throw e;
      }
    }
    return { kind: 'busy' };
  }

  /** Sent is sent: written unconditionally, even when our reservation was taken over meanwhile (the post happened). */
  async confirm(key: string): Promise<void> {
    await this.ensureTable();
    await this.table.upsertEntity<NoticeEntity>({ ...entityKeys(key), key, state: 'sent', owner: this.owner, at: new Date(this.now()).toISOString() }, 'Replace');
  }

  /** Deletes our reservation only (ETag), so a retry can claim the key; one taken over or already gone is left alone. */
  async release(key: string, token: string): Promise<void> {
    await this.ensureTable();
    const { partitionKey, rowKey } = entityKeys(key);
    try {
      await this.table.deleteEntity(partitionKey, rowKey, { etag: token });
    } catch (e) {
      if (statusOf(e) !== 412 && statusOf(e) !== 404) throw e;
    }
  }

  /**
   * Slack thread roots (`slack-thread.ts`) in the same table, partition `thread|…`: the first root recorded for a
   * (release, channel) wins (insert-if-absent), so two instances agree on one thread.
   */
  threads(): ThreadStore {
    return {
      get: async (threadKey) => {
        await this.ensureTable();
        const ids = entityKeys(`thread|${threadKey}`);
        try {
          return String((await this.table.getEntity<{ ts: string }>(ids.partitionKey, ids.rowKey)).ts);
        } catch (e) {
          if (statusOf(e) === 404) return undefined;
          throw e;
        }
      },
      set: async (threadKey, ts) => {
        await this.ensureTable();
        try {
          await this.table.createEntity({ ...entityKeys(`thread|${threadKey}`), key: threadKey, ts, at: new Date(this.now()).toISOString() });
        } catch (e) {
          if (statusOf(e) !== 409) throw e;
        }
      },
    };
  }

  private ensureTable(): Promise<void> {
    this.ready ??= this.table.createTable().catch((err: unknown) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }
}

/** Table keys: at most 1 KiB, none of `/ \ # ?` or control characters. */
function tableKey(s: string): string {
  const encoded = encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return encoded.length <= 512 ? encoded : `sha256-${createHash('sha256').update(s).digest('hex')}`;
}

function entityKeys(key: string): { partitionKey: string; rowKey: string } {
  return { partitionKey: tableKey(key.split('|')[0] ?? key), rowKey: tableKey(key) };
}

function statusOf(e: unknown): number | undefined {
  const s = (e as { statusCode?: unknown } | null)?.statusCode;
  return typeof s === 'number' ? s : undefined;
}
