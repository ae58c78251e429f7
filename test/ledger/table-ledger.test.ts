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
  it('appends in order, writes a replayed row once, keeps releases apart and never stores secrets', async () => {
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

  it('keeps where the release stood: phase and ring when the row has them, nothing when it does not', async () => {
    const ledger = TableLedger.fromConnectionString(azurite.connectionString, 'ledgerstanding');
    const release = 'payments-api-1.7.0-3f9a21c4';
    const rows = [
      { release, sequence: 0, at: '2026-11-02T09:00:00Z', kind: 'decision' as const, cause: 'version observed', payload: null, phase: 'pending' as const },
      { release, sequence: 1, at: '2026-11-02T09:10:00Z', kind: 'decision' as const, cause: 'breach', payload: null, phase: 'demoted' as const, ring: 'canary' },
      { release, sequence: 2, at: '2026-11-02T09:10:00Z', kind: 'observation' as const, cause: 'a row written before rows had a phase', payload: null },
    ];
    await ledger.append(rows);
    await ledger.append(rows.slice(1, 2)); // a replay compares phase and ring too
    expect(await ledger.list(release)).toEqual(rows);
  });

  it('is append-only: rows written before are byte-identical after a re-append, a different row under a used key is refused, and numbering continues', async () => {
    const ledger = TableLedger.fromConnectionString(azurite.connectionString, 'ledgerappendonly');
    const release = 'payments-api-1.7.0-3f9a21c4';
    const row = (sequence: number, cause: string) => ({ release, sequence, at: '2026-11-02T09:00:00Z', kind: 'observation' as const, cause, payload: { n: sequence } });
    expect(await ledger.nextSequence(release)).toBe(0);
    await ledger.append([row(0, 'first'), row(1, 'second')]);
    const before = JSON.stringify(await ledger.list(release));
    await ledger.append([row(1, 'second'), row(2, 'third')]); // an activity run twice (at least once) re-sends row 1
    await expect(ledger.append([row(0, 'rewritten by a re-started release')])).rejects.toThrow(/row 0 of payments-api-1.7.0-3f9a21c4 already holds a different entry/);
    const after = await ledger.list(release);
    expect(JSON.stringify(after.slice(0, 2))).toBe(before);
    expect(after.map((r) => r.cause)).toEqual(['first', 'second', 'third']);
    expect(await ledger.nextSequence(release)).toBe(3);
  });
});
