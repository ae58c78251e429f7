/**
 * 10,000 generated events at the local runtime's Event Grid webhooks — valid, duplicated, reordered, stale (claims
 * ARM contradicts), for unknown resources, malformed JSON, wrong schema, oversized — in batches where Event Grid
 * would batch them and four requests at a time. The truth is frozen in the simulator: 1.7.0 of payments-api was
 * published 25 minutes ago with every region excluded (staged), nothing upgrading yet.
 *
 * Oracle: the engine applied to the deduplicated truth — the same controller path (observeRelease → decide →
 * executeCommand) run round by round against an identical simulator until it issues nothing new. The flood must
 * produce no command the oracle does not issue (and none twice), no crash (every request answered, no 5xx, the
 * API still answers afterwards), and every malformed delivery answered 400 (413 above 1 MiB) with a reason.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executeCommand, observeRelease } from '../../src/app/activities';
import { watchList } from '../../src/app/release-summary';
import { buildDeps, readAppSettings } from '../../src/app/wiring';
import { decide, newRelease, type Command, type ReleaseState } from '../../src/core';
import { MemoryLedger } from '../../src/ledger/ledger';
import { startSimulator, type Simulator } from '../../src/sim';
import { commandRows, handshake, PAYMENTS_FLEET, prng, startStack, type Stack } from './harness';

const SUB = '00000000-0000-0000-0000-000000000001';
const IMAGE = `/subscriptions/${SUB}/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/galProd/images/payments-api`;
const V170 = `${IMAGE}/versions/1.7.0`;
const REGIONS = ['eastus', 'westus3', 'northeurope', 'westeurope', 'southeastasia', 'australiaeast'];
const SETS = REGIONS.flatMap((r) => [1, 2].map((n) => `/subscriptions/${SUB}/resourceGroups/rg-payments-${r}/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-payments-${r}-${n}`));
const SEED = Number(process.env.RINGMASTER_FLOOD_SEED ?? 20251106);
const TOTAL = 10_000;

/** The truth both sides start from: 1.7.0 staged in every region, 25 simulated minutes ago. */
function stageTruth(sim: Simulator): void {
  sim.sim.putVersion('payments-api', '1.7.0', { targetRegions: REGIONS.map((name) => ({ name, excludeFromLatest: true })) });
  sim.clock.advance(25 * 60_000);
}

const keyOf = (c: { kind: string; regions?: string[]; scaleSetId?: string; excludeFromLatest?: boolean; versionId?: string; notice?: string; channel?: string }) =>
  [c.kind, c.regions?.join('+') ?? '', c.scaleSetId ?? '', c.excludeFromLatest ?? '', c.notice ?? '', c.channel ?? ''].join('|');

/** The engine on the truth, round after round (each with a wake-up, as every routed event gives), to a fixpoint. */
async function oracle(): Promise<{ commands: string[]; phase: string }> {
  const sim = await startSimulator({ fleet: PAYMENTS_FLEET, manualClock: true, seed: 7, throttling: { enabled: false } });
  try {
    stageTruth(sim);
    const settings = readAppSettings({ RINGMASTER_ARM_ENDPOINT: sim.url, RINGMASTER_ARM_CA_FILE: sim.caPath, RINGMASTER_SUBSCRIPTION_IDS: SUB, RINGMASTER_LRO_POLL_MS: '5' });
    const { ports } = buildDeps(settings, new MemoryLedger());
    const { loadPlanOrThrow } = await import('../../src/local/plan-file');
    const plan = loadPlanOrThrow(`${__dirname}/../../examples/payments.yaml`);
    let state: ReleaseState = newRelease(plan, V170, sim.clock.now());
    const out: string[] = [];
    for (let round = 0; round < 10; round++) {
      const watch = watchList(state);
      const observed = await observeRelease({ versionId: V170, plan, readFleet: round === 0 || !state.fleetObserved, scaleSetIds: Object.keys(watch.scaleSets), knownReplication: state.replication, knownUpgrades: watch.scaleSets }, ports);
      const commands: Command[] = [];
      for (const e of [...observed.events, { kind: 'wake-up' as const }]) {
        const d = decide(state, e, sim.clock.now());
        state = d.state;
        commands.push(...d.commands);
      }
      if (commands.length === 0 && round > 0) break;
      for (const c of commands) {
        out.push(keyOf(c));
        if (c.kind !== 'notify') expect((await executeCommand({ release: 'oracle', command: c }, ports)).ok).toBe(true);
      }
    }
    return { commands: out.sort(), phase: state.phase };
  } finally {
    await sim.close();
  }
}

type Delivery = { fn: 'onResourceEvent' | 'onReleaseEvent'; body: string; expect: 'ok' | 'bad' | 'too-large'; category: string; events: number };

/** Builds the 10,000 events (and the requests that carry them) from the seed. */
function generate(seed: number, now: number): Delivery[] {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  let n = 0;
  const id = (p: string) => `${p}-${seed}-${n++}`;
  const iso = (ms: number) => new Date(ms).toISOString();
  const arm = (type: string, uri: string, op: string, corr: string, t = now, sub = SUB): Record<string, unknown> => ({
    id: id('eg'),
    topic: `/subscriptions/${sub}`,
    subject: uri,
    eventType: type,
    eventTime: iso(t),
    data: { resourceUri: uri, operationName: op, status: 'Succeeded', subscriptionId: sub, tenantId: '72f988bf-86f1-41af-91ab-2d7cd011db47', correlationId: corr, resourceProvider: 'Microsoft.Compute' },
    dataVersion: '2',
    metadataVersion: '1',
  });
  const cloud = (type: string, data: Record<string, unknown>, t = now): Record<string, unknown> => ({ specversion: '1.0', id: id('ce'), source: '/ringmaster/watcher', type, time: iso(t), subject: String(data.versionId ?? data.scaleSetId ?? ''), datacontenttype: 'application/json', data });
  const progress = { successful: 2, failed: 2, inProgress: 0, pending: 6 };
  const uuid = () => `${Math.floor(rand() * 1e8).toString(16).padStart(8, '0')}-0000-4000-8000-${Math.floor(rand() * 1e12).toString(16).padStart(12, '0')}`;

  // Valid events, true to the frozen truth.
  const valid = (t = now): Record<string, unknown> => {
    const k = rand();
    if (k < 0.3) return arm('Microsoft.Resources.ResourceWriteSuccess', V170, 'Microsoft.Compute/galleries/images/versions/write', uuid(), t);
    if (k < 0.6) return arm('Microsoft.Resources.ResourceWriteSuccess', pick(SETS), 'Microsoft.Compute/virtualMachineScaleSets/write', uuid(), t);
    if (k < 0.8) return cloud('ringmaster.image.version.published', { versionId: V170, publishedAt: iso(now - 25 * 60_000) }, t);
    return cloud('ringmaster.image.replication.completed', { versionId: V170, region: 'eastus', state: 'Completed' }, t);
  };
  // Stale or contradicted by ARM: faults and completions that did not happen, old replication news, failed writes.
  const stale = (): Record<string, unknown> => {
    const k = rand();
    const old = now - (1 + Math.floor(rand() * 72)) * 3_600_000;
    if (k < 0.3) return cloud('ringmaster.upgrade.failed', { scaleSetId: pick(SETS), versionId: V170, region: 'eastus', code: 'Faulted', errorCode: 'MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade', progress }, old);
    if (k < 0.5) return cloud('ringmaster.upgrade.completed', { scaleSetId: pick(SETS), versionId: V170, code: 'Completed', progress: { successful: 10, failed: 0, inProgress: 0, pending: 0 } }, old);
    if (k < 0.7) return cloud('ringmaster.image.replication.completed', { versionId: V170, region: pick(REGIONS), state: pick(['Completed', 'Failed'] as const) }, old);
    if (k < 0.85) return arm('Microsoft.Resources.ResourceActionFailure', pick(SETS), 'Microsoft.Compute/virtualMachineScaleSets/osRollingUpgrade/action', uuid(), old);
    return arm('Microsoft.Resources.ResourceWriteFailure', V170, 'Microsoft.Compute/galleries/images/versions/write', uuid(), old);
  };
  // For resources no plan covers (another image, another subscription, sets that do not exist, event types not acted on).
  const unknown = (): Record<string, unknown> => {
    const k = rand();
    if (k < 0.25) return arm('Microsoft.Resources.ResourceWriteSuccess', `/subscriptions/${SUB}/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/galProd/images/other-api/versions/9.${n % 50}.0`, 'Microsoft.Compute/galleries/images/versions/write', uuid());
    if (k < 0.45) return arm('Microsoft.Resources.ResourceWriteSuccess', `/subscriptions/${SUB}/resourceGroups/rg-ghost/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-ghost-${n % 97}`, 'Microsoft.Compute/virtualMachineScaleSets/write', uuid());
    if (k < 0.6) return arm('Microsoft.Resources.ResourceWriteSuccess', `/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st${n % 13}`, 'Microsoft.Storage/storageAccounts/write', uuid(), now, '11111111-1111-1111-1111-111111111111');
    if (k < 0.75) return { ...arm('Microsoft.Resources.ResourceWriteSuccess', pick(SETS), 'x', uuid()), eventType: 'Microsoft.Storage.BlobCreated', data: { url: 'https://example.invalid/blob' } };
    if (k < 0.9) return cloud('ringmaster.upgrade.failed', { scaleSetId: `/subscriptions/${SUB}/resourceGroups/rg-ghost/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-ghost-${n % 7}`, code: 'Faulted', errorCode: 'MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade', progress });
    return cloud('ringmaster.rebake.failed', { imageTemplateId: `/subscriptions/${SUB}/resourceGroups/rg-images/providers/Microsoft.VirtualMachineImages/imageTemplates/ghost`, runState: 'Failed', message: 'no such template' });
  };
  const wrongSchema = (): Record<string, unknown> => {
    const base = valid();
    const k = rand();
    const cloudEvent = 'specversion' in base;
    if (k < 0.15) return { ...base, id: '' };
    if (k < 0.3) return cloudEvent ? { ...base, specversion: '0.3' } : { ...base, eventTime: 'yesterday' };
    if (k < 0.45) return cloudEvent ? { ...base, data: { ...(base.data as object), versionId: 'not-an-id' } } : { ...base, data: { operationName: 'x' } };
    if (k < 0.6) return { ...base, [cloudEvent ? 'type' : 'eventType']: 42 };
    if (k < 0.75) return cloudEvent ? { ...base, type: 'ringmaster.upgrade.failed', data: { scaleSetId: pick(SETS), code: 'Exploded', progress: { successful: -1 } } } : { ...base, subject: undefined, dataVersion: undefined };
    if (k < 0.9) return { hello: 'world', n };
    return { ...base, data: cloudEvent ? { ...(base.data as object), versionId: undefined } : { resourceUri: 'not-an-arm-id', operationName: 'write' } };
  };
  const fnOf = (e: Record<string, unknown>) => ('specversion' in e ? 'onReleaseEvent' : 'onResourceEvent') as Delivery['fn'];

  const out: Delivery[] = [];
  const sent: Record<string, unknown>[] = [];
  let events = 0;
  // Batches: an array of up to 25 well-formed events of one schema, as Event Grid batches.
  const pending = new Map<Delivery['fn'], { list: Record<string, unknown>[]; category: string }>();
  const flush = (fn: Delivery['fn']) => {
    const p = pending.get(fn);
    if (!p || p.list.length === 0) return;
    out.push({ fn, body: JSON.stringify(p.list), expect: 'ok', category: p.category, events: p.list.length });
    pending.delete(fn);
  };
  const batch = (e: Record<string, unknown>, category: string) => {
    const fn = fnOf(e);
    const p = pending.get(fn) ?? { list: [], category };
    p.list.push(e);
    p.category = p.category === category ? category : 'mixed';
    pending.set(fn, p);
    if (p.list.length >= 1 + Math.floor(rand() * 25)) flush(fn);
    events++;
  };
  const single = (d: Omit<Delivery, 'events'>) => {
    out.push({ ...d, events: 1 });
    events++;
  };
  const quota: [string, number][] = [
    ['valid', 1_200],
    ['duplicate', 2_500],
    ['reordered', 1_000],
    ['stale', 1_000],
    ['unknown', 1_300],
    ['malformed-json', 1_000],
    ['wrong-schema', 1_500],
    ['oversized', 500],
  ];
  const left = new Map(quota);
  while (events < TOTAL) {
    const open = [...left.entries()].filter(([, c]) => c > 0);
    if (open.length === 0) break;
    // Valid events come first more often, so duplicates have something to repeat.
    const [category] = sent.length < 50 ? ['valid'] : pick(open);
    if ((left.get(category) ?? 0) <= 0) continue;
    left.set(category, (left.get(category) ?? 0) - 1);
    switch (category) {
      case 'valid': {
        const e = valid();
        sent.push(e);
        batch(e, category);
        break;
      }
      case 'duplicate': {
        const orig = pick(sent);
        // Same id (Event Grid's at-least-once), or a new id for the same ARM operation (same correlation id).
        const e = rand() < 0.6 || 'specversion' in orig ? orig : { ...orig, id: id('dup') };
        batch(e, category);
        break;
      }
      case 'reordered': {
        // A true event that happened before events already delivered (Event Grid does not keep order).
        const e = valid(now - Math.floor(rand() * 20 * 60_000));
        sent.push(e);
        batch(e, category);
        break;
      }
      case 'stale':
        batch(stale(), category);
        break;
      case 'unknown':
        batch(unknown(), category);
        break;
      case 'malformed-json': {
        const text = JSON.stringify([valid()]);
        const k = rand();
        const body = k < 0.4 ? text.slice(0, Math.floor(rand() * (text.length - 2)) + 1) : k < 0.6 ? '' : k < 0.8 ? `${text}}}` : `{"id": "x", "eventType": ${'['.repeat(10)}`;
        single({ fn: pick(['onResourceEvent', 'onReleaseEvent'] as const), body, expect: 'bad', category });
        break;
      }
      case 'wrong-schema': {
        const e = wrongSchema();
        single({ fn: fnOf(e), body: JSON.stringify(rand() < 0.5 ? [e] : [valid(), e]), expect: 'bad', category });
        break;
      }
      case 'oversized': {
        // Above Event Grid's 1 MiB: refused unread (413). Below: huge fields on an event for an unknown resource.
        const huge = rand() < 0.08;
        const e = unknown();
        const padded = { ...e, subject: `${String(e.subject ?? '')}/${'x'.repeat(huge ? 1_100_000 : 60_000 + Math.floor(rand() * 100_000))}` };
        single({ fn: fnOf(e), body: JSON.stringify([padded]), expect: huge ? 'too-large' : 'ok', category });
        break;
      }
    }
  }
  flush('onResourceEvent');
  flush('onReleaseEvent');
  return out;
}

describe('10,000 generated events at the webhooks', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
    stageTruth(stack.sim);
    await handshake(stack);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('issues no command the oracle would not, never crashes, and answers malformed deliveries 400 with a reason', async () => {
    const expected = await oracle();
    const deliveries = generate(SEED, stack.sim.clock.now().getTime());
    expect(deliveries.reduce((a, d) => a + d.events, 0)).toBe(TOTAL);
    const failures: string[] = [];
    const statusByCategory = new Map<string, Map<number, number>>();
    let next = 0;
    const worker = async () => {
      while (next < deliveries.length) {
        const d = deliveries[next++]!;
        let status: number;
        let body: { error?: { message?: string; details?: string[] } } = {};
        try {
          const res = await fetch(stack.hook(d.fn), { method: 'POST', headers: { 'aeg-event-type': 'Notification', 'content-type': 'application/json' }, body: d.body });
          status = res.status;
          const text = await res.text();
          try {
            body = JSON.parse(text) as typeof body;
          } catch {
            body = {};
          }
        } catch (err) {
          failures.push(`${d.category}: request failed (${String(err)})`);
          continue;
        }
        const byStatus = statusByCategory.get(d.category) ?? new Map<number, number>();
        byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
        statusByCategory.set(d.category, byStatus);
        if (status >= 500) failures.push(`${d.category}: HTTP ${status} ${JSON.stringify(body).slice(0, 200)}`);
        else if (d.expect === 'ok' && status !== 200) failures.push(`${d.category}: expected 200, got ${status} ${JSON.stringify(body).slice(0, 200)}`);
        else if (d.expect === 'bad' && (status !== 400 || !body.error?.message)) failures.push(`${d.category}: expected 400 with a reason, got ${status} ${JSON.stringify(body).slice(0, 200)}`);
        else if (d.expect === 'too-large' && (status !== 413 || !body.error?.message)) failures.push(`${d.category}: expected 413 with a reason, got ${status}`);
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    await stack.settle();

    // The runtime still answers.
    const list = await fetch(`${stack.host.url}/api/releases`, { headers: { 'x-functions-key': stack.functionKey } });
    expect(list.status).toBe(200);

    const releases = await stack.host.runtime.list();
    const issued: string[] = [];
    const perRelease: string[] = [];
    for (const r of releases) {
      if (!r.summary) continue;
      const rows = await stack.deps.ports.ledger.list(r.summary.release);
      const cmds = commandRows(rows).map((c) => keyOf(c));
      const notices = rows.filter((x) => x.kind === 'notice' && (x.payload as { round: number }).round === 1).map((x) => keyOf({ kind: 'notify', ...(x.payload as { notice: string; channel: string }) }));
      issued.push(...cmds, ...notices);
      perRelease.push(`${r.summary.version}: ${r.summary.phase} (${cmds.length} commands)`);
    }
    const summary = [...statusByCategory.entries()].map(([c, m]) => `${c}: ${[...m.entries()].map(([s, k]) => `${s}×${k}`).join(' ')}`);
    console.log(`flood: ${deliveries.length} requests; ${summary.join('; ')}; releases: ${perRelease.join(', ')}`);
    expect(failures.slice(0, 10)).toEqual([]);
    // Zero commands the oracle would not issue, none twice; and the release is where the oracle says.
    const extra = [...issued].sort();
    for (const k of expected.commands) {
      const i = extra.indexOf(k);
      if (i >= 0) extra.splice(i, 1);
    }
    expect(extra, 'commands the oracle would not issue').toEqual([]);
    expect(issued.sort()).toEqual(expected.commands);
    const v170 = releases.find((r) => r.summary?.version === '1.7.0');
    expect(v170?.summary?.phase).toBe(expected.phase);
    // No demotion, no cancel: every fault claim in the flood was contradicted by ARM.
    expect(stack.sim.calls.VirtualMachineScaleSetRollingUpgrades_Cancel ?? 0).toBe(0);
    expect(stack.sim.sim.image('payments-api')?.versions.get('1.7.0')?.excludeFromLatest).toBe(false);
  });

  it('does not let an event for a version ARM does not have supersede the running release', async () => {
    // A forged or stale "published" event for a newer payments-api version that does not exist in the gallery.
    const phantom = `${IMAGE}/versions/1.9.0`;
    const before = (await stack.host.runtime.list()).find((r) => r.summary?.version === '1.7.0')?.summary?.phase;
    const res = await fetch(stack.hook('onReleaseEvent'), {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify({ specversion: '1.0', id: 'phantom-1', source: '/ringmaster/pipeline', type: 'ringmaster.image.version.published', time: stack.sim.clock.now().toISOString(), data: { versionId: phantom } }),
    });
    expect(res.status).toBe(200);
    await stack.settle();
    const after = (await stack.host.runtime.list()).find((r) => r.summary?.version === '1.7.0')?.summary?.phase;
    expect(before).toBe('upgrading');
    expect(after).toBe(before);
  });
});
