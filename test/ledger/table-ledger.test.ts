/** The ledger against Azurite started by the test run. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAzurite, type Azurite } from '../../src/local/azurite';
import { TableLedger } from '../../src/ledger/table-ledger';

let azurite: Azurite;
beforeAll(async () => {
  azurite = await startAzurite();
});
afterAll(async () => azurite?.stop());

describe('table ledger', () => {
  it('appends in order, upserts replayed rows, keeps releases apart and never stores secrets', async () => {
    const ledger = TableLedger.fromConnectionString(azurite.connectionString, 'ledgertest');
    const release = 'payments-api/1.7.0';
    const row = (sequence: number, cause: string, payload: unknown = {}) => ({ release, sequence, at: `2026-11-02T09:00:0${sequence}Z`, kind: 'decision' as const, cause, payload });
    await ledger.append([row(2, 'second'), row(1, 'first'), row(3, 'notify', { url: 'https://example.webhook.office.com/secret', secretName: 'teams-oncall' })]);
    await ledger.append([row(2, 'second')]); // a replay writes the same row
    await ledger.append([{ ...row(1, 'other release'), release: 'payments-api/1.7.1' }]);
    const rows = await ledger.list(release);
    expect(rows.map((r) => [r.sequence, r.cause])).toEqual([[1, 'first'], [2, 'second'], [3, 'notify']]);
    expect(rows[2]!.payload).toEqual({ url: '[redacted]', secretName: 'teams-oncall' });
    expect((await ledger.list('payments-api/1.7.1')).length).toBe(1);
  });
});
