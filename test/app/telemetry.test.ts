/** Decision telemetry: one `ringmaster.<kind> {json}` line per decision, command, result and notice, once written. */
import { describe, expect, it } from 'vitest';
import { recordLedger } from '../../src/app/activities';
import { TELEMETRY_PREFIX } from '../../src/app/telemetry';
import { MemoryLedger, type LedgerEntry } from '../../src/ledger/ledger';
import { loadPlan } from '../core/factories';
import { fakeWorld } from './fake-world';

const rows: LedgerEntry[] = [
  { release: 'rel', sequence: 0, at: '2026-11-02T09:00:00.000Z', kind: 'observation', cause: 'vmss-eastus-1: RollingForward', payload: {} },
  { release: 'rel', sequence: 1, at: '2026-11-02T09:00:00.000Z', kind: 'decision', cause: 'breach in vmss-eastus-1', payload: { commands: ['demote-version', 'notify'] } },
  { release: 'rel', sequence: 2, at: '2026-11-02T09:00:00.000Z', kind: 'result', cause: 'publishingProfile.excludeFromLatest=true', payload: { ok: true, kind: 'demote-version' } },
  { release: 'rel', sequence: 3, at: '2026-11-02T09:00:01.000Z', kind: 'notice', cause: 'teams demoted delivered to teams-oncall', payload: { notice: 'demoted', channel: 'teams', secretName: 'teams-oncall', delivered: true } },
];

describe('decision telemetry', () => {
  it('logs each decision, result and notice once the ledger took them; observations stay in the ledger', async () => {
    const w = fakeWorld(loadPlan('payments.yaml'));
    const lines: string[] = [];
    await recordLedger(rows, w.ports, (l) => lines.push(l));
    expect(lines.map((l) => l.split(' ')[0])).toEqual([`${TELEMETRY_PREFIX}decision`, `${TELEMETRY_PREFIX}result`, `${TELEMETRY_PREFIX}notice`]);
    const result = JSON.parse(lines[1]!.slice(lines[1]!.indexOf(' ') + 1)) as Record<string, unknown>;
    expect(result).toMatchObject({ release: 'rel', sequence: 2, what: 'demote-version', ok: true });
    expect(JSON.parse(lines[2]!.slice(lines[2]!.indexOf(' ') + 1))).toMatchObject({ what: 'demoted', ok: true });
    expect(lines.join('\n')).not.toMatch(/https?:\/\//);
  });

  it('a ledger that refuses the rows logs nothing (they come back next round); a log sink that throws changes nothing', async () => {
    const w = fakeWorld(loadPlan('payments.yaml'));
    const lines: string[] = [];
    const ledger = new MemoryLedger();
    ledger.append = async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:10002');
    };
    await expect(recordLedger(rows, { ...w.ports, ledger }, (l) => lines.push(l))).rejects.toThrow(/ECONNREFUSED/);
    expect(lines).toEqual([]);
    await expect(recordLedger(rows, w.ports, () => { throw new Error('sink down'); })).resolves.toBe(rows.length);
  });
});
