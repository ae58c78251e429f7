/**
 * Creating a release and reading facts off its state. Pure.
 */
import type { ReleasePlan } from './plan';
import { TERMINAL_PHASES, type Phase, type ReleaseState, type RingProgress, type ScaleSetProgress } from './types';

/** A new release of `versionId` under `plan`, waiting for its publication to be observed. */
export function newRelease(plan: ReleasePlan, versionId: string, now: Date): ReleaseState {
  const at = now.toISOString();
  return {
    versionId,
    version: versionName(versionId),
    plan,
    phase: 'pending',
    ring: -1,
    rings: plan.rings.map((r) => ({ name: r.name, regions: [...r.regions], opened: {}, upgraded: {} })),
    createdAt: at,
    updatedAt: at,
    targetRegions: {},
    replication: {},
    scaleSets: {},
    fleetByRegion: {},
    fleetObserved: false,
    alertsFiring: [],
    gatesFailing: [],
    notified: [],
    findings: [],
    transitions: [],
  };
}

/** ".../images/payments-api/versions/1.7.0" → "1.7.0". */
export function versionName(versionId: string): string {
  return versionId.split('/').at(-1) ?? versionId;
}

/** ".../images/payments-api/versions/1.7.0" → ".../images/payments-api" (case kept). */
export function imageDefinitionOf(versionId: string): string {
  const i = versionId.toLowerCase().lastIndexOf('/versions/');
  return i < 0 ? versionId : versionId.slice(0, i);
}

export function isTerminal(phase: Phase): boolean {
  return TERMINAL_PHASES.includes(phase);
}

/** Index of the ring that holds `region`, or -1. */
export function ringIndexOf(state: ReleaseState, region: string): number {
  return state.rings.findIndex((r) => r.regions.includes(region));
}

/** Every region whose lever this release has pulled. */
export function openRegions(state: ReleaseState): Set<string> {
  const out = new Set<string>();
  for (const ring of state.rings) for (const r of Object.keys(ring.opened)) out.add(r);
  return out;
}

/** Scale sets of the release's fleet in `region`, honouring a ring's explicit scale set list. */
export function scaleSetsIn(state: ReleaseState, region: string): string[] {
  const ids = state.fleetByRegion[region] ?? [];
  const explicit = state.plan.rings[ringIndexOf(state, region)]?.scaleSets?.map((s) => s.toLowerCase());
  return explicit ? ids.filter((id) => explicit.includes(id.toLowerCase())) : ids;
}

/** Whether a scale set tracks latest (a pinned one never takes a new version). */
export function tracksLatest(state: ReleaseState, id: string): boolean {
  return state.scaleSets[id]?.pinnedVersion === undefined;
}

/** The scale sets of a region that track latest. */
export function trackingSetsIn(state: ReleaseState, region: string): string[] {
  return scaleSetsIn(state, region).filter((id) => tracksLatest(state, id));
}

/** Compares gallery version names ("1.7.10" > "1.7.9"); Azure requires Major.Minor.Patch integers. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    // A part that is not a number (a name Azure would refuse) does not decide: the engine stays total.
    if (d !== 0 && Number.isFinite(d)) return d;
  }
  return 0;
}

/** The newest of `versions` by name (undefined when there are none). */
export function newestVersion<T extends { name: string }>(versions: readonly T[]): T | undefined {
  return versions.reduce<T | undefined>((best, v) => (!best || compareVersions(v.name, best.name) > 0 ? v : best), undefined);
}

export function capacityIn(state: ReleaseState, region: string): number {
  return scaleSetsIn(state, region).reduce((sum, id) => sum + (state.scaleSets[id]?.capacity ?? 0), 0);
}

export function currentRing(state: ReleaseState): RingProgress | undefined {
  return state.rings[state.ring];
}

/** A compact identity of an upgrade observation: same fingerprint, nothing new to tell the engine. */
export function upgradeFingerprint(u: { code: string; startTime?: string; progress: { successful: number; failed: number; inProgress: number; pending: number } }): string {
  const p = u.progress;
  return `${u.code}|${u.startTime ?? ''}|${p.successful}/${p.failed}/${p.inProgress}/${p.pending}`;
}

/**
 * Visits the scale sets still to hear from: those of open regions whose upgrades have not all completed (any ring),
 * except the ones whose upgrade of this version already Completed. What the watcher and the release's polls read.
 */
export function forEachUnfinishedSet(state: ReleaseState, visit: (id: string, set: ScaleSetProgress) => void): void {
  for (const ring of state.rings) {
    for (const region of Object.keys(ring.opened)) {
      if (ring.upgraded[region]) continue;
      for (const id of state.fleetByRegion[region] ?? []) {
        const set = state.scaleSets[id];
        if (set && set.upgrade?.code !== 'Completed') visit(id, set);
      }
    }
  }
}
