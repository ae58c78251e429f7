/**
 * ARM faults injected at 20 % of the simulator's ARM operations during the payments story — 429 with
 * Retry-After, 500, and added latency — must not change the outcome: 1.7.0 demoted in the canary once, 1.7.1
 * through every ring, nothing outside the open rings, a complete ledger. The faults are set on the simulator the
 * rehearsal starts (captured by wrapping startSimulator: runRehearsal has no hook for it).
 *
 * Mix (each ARM request draws independently, seeded): latency 7 % (40 ms), 500 InternalServerError 6 %, 429 7 %
 * — of which the first 10 carry `Retry-After: 1` and the rest `Retry-After: 0` (the adapters sleep Retry-After
 * on the real clock, so ten one-second waits keep the test bounded while still showing the header is honoured).
 */
import { describe, expect, it, vi } from 'vitest';
import type { Simulator } from '../../src/sim';
import { demotions, ledgerGaps, rehearseInProcess, scenarioWithSeed } from './harness';

const hooks = vi.hoisted(() => ({ onStart: undefined as undefined | ((sim: Simulator) => void) }));

vi.mock('../../src/sim', async (importOriginal) => {
  const mod = await importOriginal<typeof import('../../src/sim')>();
  return {
    ...mod,
    startSimulator: async (...args: Parameters<typeof mod.startSimulator>) => {
      const sim = await mod.startSimulator(...args);
      hooks.onStart?.(sim);
      return sim;
    },
  };
});

describe('ARM faults at 20 % (429 with Retry-After, 500, latency)', () => {
  it('ends as the payments story does, with the retries visible', async () => {
    let sim: Simulator | undefined;
    hooks.onStart = (s) => {
      sim = s;
      s.faults.addArm({ operation: '*', kind: 'latency', latencyMs: 40, probability: 0.07 });
      s.faults.addArm({ operation: '*', kind: 'throttle', retryAfterSeconds: 1, probability: 0.07, count: 10 });
      s.faults.addArm({ operation: '*', kind: 'throttle', retryAfterSeconds: 0, probability: 0.07 });
      s.faults.addArm({ operation: '*', kind: 'error', status: 500, code: 'InternalServerError', probability: 0.06 });
    };
    const started = Date.now();
    const run = await rehearseInProcess(scenarioWithSeed('payments', 7));
    hooks.onStart = undefined;
    const hits = Object.fromEntries((sim?.faults.arm ?? []).map((f) => [`${f.kind}${f.kind === 'throttle' ? `(Retry-After ${f.retryAfterSeconds}s)` : f.kind === 'error' ? `(${f.status})` : ''}`, f.hits]));
    const allRows = [...run.ledgers.values()].flat();
    const failedResults = allRows.filter((r) => r.kind === 'result' && !(r.payload as { ok: boolean }).ok);
    const readErrors = allRows.filter((r) => r.kind === 'observation' && /read failed/.test(r.cause));
    console.log(`ARM faults: ${JSON.stringify(hits)}; ${run.report.armCalls.total} ARM calls; ledger: ${failedResults.length} failed command results (retried), ${readErrors.length} partial observations; ${Date.now() - started} ms`);

    expect(run.report.outcome, run.report.failures.join('\n')).toBe('passed');
    expect(run.report.releases.map((r) => [r.version, r.finalState, r.maxInstancesOnVersionOutsideOpenRings])).toEqual([
      ['1.7.0', 'demoted', 0],
      ['1.7.1', 'completed', 0],
    ]);
    expect(demotions(run.ledgers.get('payments-api@1.7.0') ?? [])).toBe(1);
    for (const rows of run.ledgers.values()) expect(ledgerGaps(rows)).toEqual([]);
    // The faults fired: every kind at least once (the throttles with Retry-After: 1 all ten times).
    expect(Object.values(hits).every((n) => n > 0)).toBe(true);
    expect(hits['throttle(Retry-After 1s)']).toBe(10);
    // Every fault was absorbed by a retry: a failed command in the ledger is always followed by the same command succeeding.
    for (const rows of run.ledgers.values()) {
      rows.forEach((r, i) => {
        if (r.kind !== 'result' || (r.payload as { ok: boolean }).ok) return;
        const kind = (r.payload as { kind: string }).kind;
        expect(rows.slice(i + 1).some((x) => x.kind === 'result' && (x.payload as { ok: boolean; kind: string }).ok && (x.payload as { kind: string }).kind === kind)).toBe(true);
      });
    }
  }, 120_000);

  it('records absorbed ARM retries in the ledger', async () => {
    hooks.onStart = (s) => {
      s.faults.addArm({ operation: 'GalleryImageVersions_Get', kind: 'throttle', retryAfterSeconds: 0, count: 3 });
    };
    const run = await rehearseInProcess(scenarioWithSeed('payments', 8));
    hooks.onStart = undefined;
    const rows = [...run.ledgers.values()].flat();
    expect(rows.some((r) => /retry|429|throttl/i.test(r.cause))).toBe(true);
  }, 120_000);
});
