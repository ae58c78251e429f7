/**
 * Decision telemetry: one custom event per decision, command, result and notice, once the ledger took the row. The
 * events are caught by an in-memory OpenTelemetry exporter on the global logger provider (the one `useAzureMonitor`
 * installs in Azure), and handed to the Azure Monitor exporter's own envelope mapping to see the `customEvents` row.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { logs, type LoggerProvider as ApiLoggerProvider } from '@opentelemetry/api-logs';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor, type LogRecordProcessor, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { recordLedger } from '../../src/app/activities';
import { ORCHESTRATOR, SIGNAL } from '../../src/app/release-orchestrator';
import { releaseIdOf } from '../../src/app/release-runtime';
import { CUSTOM_EVENT_NAME, emitTelemetry, TELEMETRY_PREFIX, telemetryOf } from '../../src/app/telemetry';
import { MemoryLedger, type LedgerEntry } from '../../src/ledger/ledger';
import { loadPlan, versionId } from '../core/factories';
import { durableRig } from './durable-rig';
import { fakeWorld } from './fake-world';

const plan = loadPlan('payments.yaml');
const exported = new InMemoryLogRecordExporter();
const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor(exported)] });

/** Installs `p` as the global logger provider (the API keeps the first one set until disabled). */
function useGlobal(p: ApiLoggerProvider): void {
  logs.disable();
  logs.setGlobalLoggerProvider(p);
}

beforeAll(() => useGlobal(provider));
beforeEach(() => exported.reset());
afterAll(async () => {
  logs.disable();
  await provider.shutdown();
});

/**
 * The pinned exporter's mapping from a log record to what Application Insights ingests (internal to
 * @azure/monitor-opentelemetry-exporter 1.0.0-beta.42, not in its exports map; read from its dist by path).
 */
type Envelope = { time: Date; data: { baseType: string; baseData: { name?: string; properties: Record<string, string> } } };
const exporterDir = dirname(createRequire(__filename).resolve('@azure/monitor-opentelemetry-exporter/package.json'));
const { logToEnvelope } = createRequire(__filename)(join(exporterDir, 'dist/commonjs/utils/logUtils.js')) as { logToEnvelope(log: ReadableLogRecord, ikey: string): Envelope };

/** A Teams Workflows URL: its `sig` is the credential. */
const WEBHOOK = 'https://prod-12.westeurope.logic.azure.com:443/workflows/0f3c/triggers/manual/paths/invoke?api-version=2016-06-01&sig=c2VjcmV0LXNpZw';

/**
 * The payments story for 1.7.0 under the real orchestrator: the canary opens, the one-box's upgrade halts with
 * MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade, 1.7.0 is demoted. The first Teams post fails with an
 * error that quotes the webhook URL (as a careless HTTP client might) and is delivered on the retry.
 */
async function demotionStory() {
  const rig = durableRig(plan);
  const v = versionId('1.7.0');
  const id = releaseIdOf(v);
  const notify = rig.w.ports.notify;
  let teamsFailed = false;
  rig.w.ports.notify = async (command, release) => {
    if (command.channel === 'teams' && !teamsFailed) {
      teamsFailed = true;
      return { delivered: false, attempts: 3, error: `POST ${WEBHOOK} failed: 502 Bad Gateway` };
    }
    return notify(command, release);
  };
  rig.w.publish(v);
  rig.host.start(ORCHESTRATOR, id, { release: id, versionId: v, plan, idlePollMs: 600_000, retryMs: 60_000 });
  await rig.advance(0);
  rig.w.replicate(v, 'eastus');
  await rig.advance(600_000);
  rig.host.raiseEvent(id, SIGNAL, { kind: 'wake-up' });
  await rig.advance(0);
  rig.w.upgrade('eastus', 'Faulted', rig.at(-300_000), 'MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade');
  rig.host.raiseEvent(id, SIGNAL, { kind: 'wake-up' });
  await rig.advance(0);
  await rig.advance(60_000); // the Teams retry
  expect(rig.status(id)).toMatchObject({ phase: 'demoted', terminal: true });
  return { id, rows: await rig.w.ledger.list(id), records: exported.getFinishedLogRecords() };
}

const attrs = (r: ReadableLogRecord) => r.attributes as Record<string, unknown>;

describe('decision telemetry (a demotion story under the real orchestrator)', () => {
  it('sends one custom event per decision, command, result and notice the ledger took, and none for observations', async () => {
    const { rows, records } = await demotionStory();
    const told = rows.filter((r) => r.kind !== 'observation');
    expect(rows.filter((r) => r.kind === 'observation').length).toBeGreaterThan(10);
    expect(told.length).toBeGreaterThan(10);
    expect(records.map((r) => [attrs(r)[CUSTOM_EVENT_NAME], attrs(r).sequence])).toEqual(told.map((r) => [`${TELEMETRY_PREFIX}${r.kind}`, r.sequence]));
    // Each event happens when its row did, and carries only primitives.
    records.forEach((r, i) => expect(new Date(r.hrTime[0] * 1000 + r.hrTime[1] / 1e6).toISOString()).toBe(told[i]!.at));
    for (const r of records) for (const [k, v] of Object.entries(attrs(r))) expect(['string', 'number', 'boolean'], k).toContain(typeof v);
  });

  it('each event says which release, image, version, phase and ring, why, and what came of it', async () => {
    const { id, records } = await demotionStory();
    const find = (name: string, what: RegExp) => records.map(attrs).find((a) => a[CUSTOM_EVENT_NAME] === `${TELEMETRY_PREFIX}${name}` && what.test(String(a.what)));
    const release = { release: id, image: 'payments-api', version: '1.7.0' };
    expect(find('decision', /set-regional-exclude/)).toMatchObject({ ...release, phase: 'opening', ring: 'canary', cause: 'version observed', what: 'notify,set-regional-exclude' });
    expect(find('decision', /demote-version/)).toMatchObject({
      ...release,
      phase: 'demoted',
      ring: 'canary',
      cause: expect.stringMatching(/^breach: rolling upgrade Faulted with MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade/),
      what: 'demote-version,cancel-rolling-upgrade,notify',
    });
    expect(find('command', /^demote-version$/)).toMatchObject({ ...release, phase: 'demoted', cause: expect.stringMatching(/^breach in vmss-eastus-1 \(eastus\)/) });
    expect(find('result', /^demote-version$/)).toMatchObject({ ...release, phase: 'demoted', ok: true, cause: 'publishingProfile.excludeFromLatest=true' });
    const teams = records.map(attrs).filter((a) => a[CUSTOM_EVENT_NAME] === `${TELEMETRY_PREFIX}notice` && a.what === 'demoted' && /^teams /.test(String(a.cause)));
    expect(teams.map((a) => a.ok)).toEqual([false, true]);
  });

  it('no event carries a secret: the webhook URL a failed post quoted into the ledger is cut out', async () => {
    const { rows, records } = await demotionStory();
    // The ledger row has the URL (the story put it there), so the check below can fail.
    expect(rows.some((r) => r.cause.includes('sig=c2VjcmV0LXNpZw'))).toBe(true);
    const text = JSON.stringify(records.map((r) => [r.body, r.attributes]));
    expect(text).not.toMatch(/c2VjcmV0LXNpZw|logic\.azure\.com|https?:\/\//);
    expect(text).toContain('not delivered: POST [url] failed: 502 Bad Gateway');
    // Secret names are fine (they name a setting, not its value).
    expect(text).toContain('teams-payments-oncall');
  });

  it('the Azure Monitor exporter sends each as a customEvents row: EventData named ringmaster.<kind>, the fields as customDimensions', async () => {
    const { id, records } = await demotionStory();
    const result = records.find((r) => attrs(r).what === 'demote-version' && attrs(r)[CUSTOM_EVENT_NAME] === `${TELEMETRY_PREFIX}result`)!;
    const envelope = logToEnvelope(result, '00000000-0000-0000-0000-000000000000');
    expect(envelope.data.baseType).toBe('EventData');
    expect(envelope.data.baseData.name).toBe('ringmaster.result');
    expect(envelope.time.toISOString()).toBe('2026-11-02T09:10:00.000Z');
    expect(envelope.data.baseData.properties).toEqual({
      release: id,
      image: 'payments-api',
      version: '1.7.0',
      sequence: String(attrs(result).sequence),
      phase: 'demoted',
      ring: 'canary',
      cause: 'publishingProfile.excludeFromLatest=true',
      what: 'demote-version',
      ok: 'true',
    });
  });
});

describe('decision telemetry never blocks the ledger', () => {
  const rows: LedgerEntry[] = [
    { release: 'rel', sequence: 0, at: '2026-11-02T09:00:00.000Z', kind: 'observation', cause: 'vmss-eastus-1: RollingForward', payload: {} },
    { release: 'rel', sequence: 1, at: '2026-11-02T09:00:00.000Z', kind: 'decision', cause: 'breach in vmss-eastus-1', payload: { commands: ['demote-version', 'notify'] }, phase: 'demoted', ring: 'canary' },
    { release: 'rel', sequence: 2, at: '2026-11-02T09:00:00.000Z', kind: 'result', cause: 'publishingProfile.excludeFromLatest=true', payload: { ok: true, kind: 'demote-version' } },
    { release: 'rel', sequence: 3, at: '2026-11-02T09:00:01.000Z', kind: 'notice', cause: 'teams demoted delivered to teams-oncall', payload: { notice: 'demoted', channel: 'teams', secretName: 'teams-oncall', delivered: true } },
  ];

  it('maps rows of any release id: no image or version when the id is not a release id, no phase on an old row', () => {
    expect(telemetryOf(rows).map(({ name, ...e }) => [name, e])).toEqual([
      ['ringmaster.decision', { release: 'rel', sequence: 1, at: '2026-11-02T09:00:00.000Z', phase: 'demoted', ring: 'canary', cause: 'breach in vmss-eastus-1', what: 'demote-version,notify' }],
      ['ringmaster.result', { release: 'rel', sequence: 2, at: '2026-11-02T09:00:00.000Z', cause: 'publishingProfile.excludeFromLatest=true', what: 'demote-version', ok: true }],
      ['ringmaster.notice', { release: 'rel', sequence: 3, at: '2026-11-02T09:00:01.000Z', cause: 'teams demoted delivered to teams-oncall', what: 'demoted', ok: true }],
    ]);
  });

  it('a ledger that refuses the rows sends nothing (they come back in a later round)', async () => {
    const w = fakeWorld(plan);
    const ledger = new MemoryLedger();
    ledger.append = async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:10002');
    };
    await expect(recordLedger(rows, { ...w.ports, ledger })).rejects.toThrow(/ECONNREFUSED/);
    expect(exported.getFinishedLogRecords()).toEqual([]);
  });

  it('a processor that throws, or a provider with no logger, changes nothing: the rows are written', async () => {
    const throwing: LogRecordProcessor = {
      onEmit: () => {
        throw new Error('exporter queue full');
      },
      forceFlush: async () => {},
      shutdown: async () => {},
    };
    const broken = [
      new LoggerProvider({ processors: [throwing] }),
      {
        getLogger: () => {
          throw new Error('no logger');
        },
      },
    ];
    try {
      for (const p of broken) {
        useGlobal(p);
        const w = fakeWorld(plan);
        await expect(recordLedger(rows, w.ports)).resolves.toBe(rows.length);
        expect(await w.ledger.list('rel')).toEqual(rows);
      }
    } finally {
      useGlobal(provider);
    }
  });

  it('an event the logger refuses does not stop the next', () => {
    let calls = 0;
    const sent = emitTelemetry(rows, {
      emit: () => {
        if (calls++ === 0) throw new Error('refused');
      },
      enabled: () => true,
    });
    expect([calls, sent]).toEqual([3, 2]);
  });
});
