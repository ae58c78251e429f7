/**
 * The rehearsal report (report.json, documented in docs/rehearsal.md) and its HTML page, rendered with
 * the dashboard's template. Simulated times are ISO timestamps; durations in simulated milliseconds.
 */
import { parseDuration, ringWaves } from '../core';
import { esc, renderDashboard } from '../app/dashboard';
import type { ReleaseSummary } from '../app/release-summary';
import { renderTimeline, type TimelineMarker } from '../app/timeline-svg';
import type { LedgerEntry } from '../ledger/ledger';
import type { SinkMessage } from './chat-sink';
import type { FleetFigures, FleetTimeline, FleetWatch } from './fleet-watch';
import { imageNameOf, planOf, releaseKey, releaseLabel, type Scenario } from './scenario';

export interface Report {
  scenario: string;
  outcome: 'passed' | 'failed';
  expected: Scenario['expect'];
  /** Why the outcome failed, one line per unmet expectation. */
  failures: string[];
  simulatedDuration: string;
  simulatedStart: string;
  simulatedEnd: string;
  wallMs: number;
  /** Times the local runtime was killed and started again during the run (--restart-at). */
  restarts: number;
  releases: {
    version: string;
    /** The gallery image definition's name (two images may share version names). */
    image: string;
    release: string;
    finalState: string;
    demoted: boolean;
    demotionCause: string | null;
    demotedAt: string | null;
    /** What the release told a person about the fleet (a pinned set, an empty region), the latest few. */
    findings: string[];
    /** Demote writes ARM accepted (excludeFromLatest on the version). */
    demoteWrites: number;
    rings: { name: string; regions: string[]; openedAt: string | null; completedAt: string | null }[];
    instancesUpgraded: number;
    maxInstancesOnVersionOutsideOpenRings: number;
    /**
     * Publication to the end of the release, and its lower bound: Σ soak + one healthy rolling upgrade per ring
     * (the longest of the ring's scale sets, from their own policies). Null while the release runs, or when it
     * was published by something other than the scenario (a rebake).
     */
    durationMs: number | null;
    lowerBoundMs: number;
    ratioToLowerBound: number | null;
    /**
     * The fastest release the plan's own rules allow (`floorMs`): the lower bound, plus the version's replication to
     * each ring's regions not yet done when the ring could open, one rolling upgrade per extra wave that the fleet
     * budget or the pair rule forces (`ringWaves`), and, with drive mode, the canary's one-box (its first set's
     * first batch). No controller that keeps the plan can finish sooner. Null when the publication is unknown.
     */
    floorMs: number | null;
    ratioToFloor: number | null;
  }[];
  notifications: { channel: string; event: string; version: string; image: string; delivered: boolean; attempts: number }[];
  chatMessagesReceived: number;
  timings: { breachToDemoteMs: number[]; gateToNextRingMs: number[] };
  /** `throttled`: requests the simulator's ARM throttle model refused with 429 (they are counted in the total too). */
  armCalls: { total: number; byOperation: Record<string, number>; throttled: number };
  /**
   * The ledger at the end: rows, sequence numbers missing or doubled, rows that differ from what they were before
   * a restart (the ledger is append-only: all three checks must come out 0), and the storage outages it went through.
   */
  ledger: { rows: number; sequenceGaps: number; rewrittenAfterRestart: number; storageOutages: number; outagesRecorded: number };
  baseline: { instancesOnBadVersion: number; regionsAffected: number; timeUntilContained: string | null } | null;
  blastRadius: { instancesOnBadVersion: number; regionsAffected: number; ratioToBaseline: number | null };
  /**
   * The rollout over time: instances per version in each region whenever the counts changed (simulated ms), with
   * ring openings, the platform's halts and demotions marked; Azure alone's over the same span.
   */
  timeline: { controlled: FleetTimeline & { markers: TimelineMarker[] }; baseline: FleetTimeline | null; end: number; regions: string[] };
}

export interface ControlledRun {
  t0: number;
  simEndMs: number;
  /** By `releaseKey` (image and version). */
  summaries: Map<string, ReleaseSummary>;
  ledgers: Map<string, LedgerEntry[]>;
  watch: FleetWatch;
  calls: Record<string, number>;
  sink: SinkMessage[];
  /** Per region, the longest healthy rolling upgrade of its scale sets. */
  upgradeMsByRegion: Record<string, number>;
  /** When each version was published (`releaseKey` → simulated ms). */
  publishedAt: Map<string, number>;
  /** When each version's replica completed in each region (`releaseKey` → region → simulated ms). */
  replicatedAt: Map<string, Record<string, number>>;
  /** The fleet's scale sets: id, region, instances, and the image definition's name they track. */
  sets: { id: string; region: string; capacity: number; image: string }[];
  /** One healthy batch: a reimage and the health settle. */
  firstBatchMs: number;
  throttled: number;
  /** Ledger rows as they were before each restart (`release#sequence` → JSON). */
  rowsBeforeRestarts: Map<string, string>;
  storageOutages: number;
}

export function buildReport(input: { scenario: Scenario; controlled: ControlledRun; baseline: { figures: FleetFigures; timeline: FleetTimeline } | undefined; wallMs: number; restarts: number }): Report {
  const { scenario, controlled: c } = input;
  const baseline = input.baseline?.figures;
  const ordered = [...c.summaries.entries()].map(([key, s]) => ({ key, s, image: imageNameOf(s.versionId) }));
  ordered.sort((a, b) => a.image.localeCompare(b.image) || a.s.version.localeCompare(b.s.version, undefined, { numeric: true }));
  const releases = ordered.map(({ key, s, image }) => ({
    version: s.version,
    image,
    release: s.release,
    finalState: s.phase,
    demoted: s.demotion !== undefined,
    demotionCause: s.demotion?.cause ?? null,
    demotedAt: s.demotion?.at ?? null,
    findings: s.findings ?? [],
    demoteWrites: (c.ledgers.get(key) ?? []).filter((e) => {
      const p = e.payload as { kind?: string; ok?: boolean };
      return e.kind === 'result' && p.kind === 'demote-version' && p.ok === true;
    }).length,
    rings: s.rings.map((r) => ({ name: r.name, regions: r.regions, openedAt: firstTime(Object.values(r.opened)), completedAt: r.passedAt ?? null })),
    instancesUpgraded: c.watch.instancesEverOn(key),
    maxInstancesOnVersionOutsideOpenRings: c.watch.outsideOpen.get(key) ?? 0,
    ...timing(s, image, scenario, c),
  }));
  const notifications = [...c.ledgers.entries()].flatMap(([key, rows]) => {
    const s = c.summaries.get(key)!;
    const image = imageNameOf(s.versionId);
    // One entry per notice: its final outcome, with every attempt of every round counted.
    // A "held" row says a notice waits for its write; it is not an attempt.
    return [...rows.filter((r) => r.kind === 'notice' && !(r.payload as { held?: boolean }).held).reduce((byKey, r) => {
      const p = r.payload as { notice: string; channel: string; dedupeKey: string; delivered: boolean; attempts?: number };
      const prev = byKey.get(p.dedupeKey);
      byKey.set(p.dedupeKey, { channel: p.channel, event: p.notice, version: s.version, image, delivered: p.delivered, attempts: (prev?.attempts ?? 0) + (p.attempts ?? 0) });
      return byKey;
    }, new Map<string, Report['notifications'][number]>()).values()];
  });
  const ours = c.watch.figures();
  const fleetTimeline = c.watch.timeline();
  const calls = Object.values(c.calls).reduce((a, b) => a + b, 0);
  const report: Report = {
    scenario: scenario.name,
    outcome: 'passed',
    expected: scenario.expect,
    failures: [],
    simulatedDuration: isoDuration(c.simEndMs - c.t0),
    simulatedStart: new Date(c.t0).toISOString(),
    simulatedEnd: new Date(c.simEndMs).toISOString(),
    wallMs: input.wallMs,
    restarts: input.restarts,
    releases,
    notifications,
    chatMessagesReceived: c.sink.length,
    timings: { breachToDemoteMs: breachToDemote(c), gateToNextRingMs: gateToNextRing(c) },
    armCalls: { total: calls, byOperation: Object.fromEntries(Object.entries(c.calls).sort()), throttled: c.throttled },
    ledger: ledgerCheck(c),
    baseline: baseline
      ? { instancesOnBadVersion: baseline.instancesOnBadVersion, regionsAffected: baseline.regionsAffected.length, timeUntilContained: baseline.timeUntilContainedMs === null ? null : isoDuration(baseline.timeUntilContainedMs) }
      : null,
    timeline: {
      controlled: { ...fleetTimeline, markers: markers(c) },
      baseline: input.baseline?.timeline ?? null,
      end: c.simEndMs,
      // Plan order (canary first), then any other region of the fleet.
      regions: [...new Set([...scenario.plans.flatMap((p) => p.plan.rings.flatMap((r) => r.regions)), ...fleetTimeline.regions])],
    },
    blastRadius: {
      instancesOnBadVersion: ours.instancesOnBadVersion,
      regionsAffected: ours.regionsAffected.length,
      ratioToBaseline: baseline && baseline.instancesOnBadVersion > 0 ? round3(ours.instancesOnBadVersion / baseline.instancesOnBadVersion) : null,
    },
  };
  report.failures = checkExpectations(report, scenario);
  report.outcome = report.failures.length === 0 ? 'passed' : 'failed';
  return report;
}

/** Every unmet expectation of the scenario, in words. */
export function checkExpectations(r: Report, s: Scenario): string[] {
  const out: string[] = [];
  for (const e of s.expect.releases) {
    const rel = r.releases.find((x) => x.version === e.version && x.image === e.image);
    const name = releaseLabel(s, e.image, e.version);
    if (!rel) {
      out.push(`${name}: no release was started`);
      continue;
    }
    if (rel.finalState !== e.finalState) out.push(`${name}: expected ${e.finalState}, ended ${rel.finalState}`);
    const opened = rel.rings.filter((x) => x.openedAt).map((x) => x.name);
    if (e.demotedInRing && opened.at(-1) !== e.demotedInRing) out.push(`${name}: expected to be stopped in ${e.demotedInRing}, reached ${opened.join(', ') || 'no ring'}`);
    if (e.stoppedInRing && opened.at(-1) !== e.stoppedInRing) out.push(`${name}: expected to stop in ${e.stoppedInRing}, reached ${opened.join(', ') || 'no ring'}`);
    for (const ring of e.neverOpens.filter((n) => opened.includes(n))) out.push(`${name}: opened ${ring}, which it must never open`);
    if (e.maxInstances !== undefined && rel.instancesUpgraded > e.maxInstances) out.push(`${name}: ${rel.instancesUpgraded} instances ran it (at most ${e.maxInstances})`);
    const perRegion = maxPerRegion(r.timeline.controlled, releaseLabel(s, e.image, e.version));
    for (const [region, most] of Object.entries(e.maxInstancesPerRegion)) {
      if ((perRegion[region] ?? 0) > most) out.push(`${name}: ${perRegion[region]} instances ran it at once in ${region} (at most ${most})`);
    }
    for (const [a, b] of e.neverTogether) {
      const at = bothPartWay(r.timeline.controlled, releaseLabel(s, e.image, e.version), a, b);
      if (at !== undefined) out.push(`${name}: rolled out to ${a} and ${b} at once (both part-way at ${new Date(at).toISOString()})`);
    }
    if (e.maxDemoteWrites !== undefined && rel.demoteWrites > e.maxDemoteWrites) out.push(`${name}: ${rel.demoteWrites} demote writes (at most ${e.maxDemoteWrites})`);
    for (const f of e.findings.filter((f) => !rel.findings.some((x) => x.includes(f)))) out.push(`${name}: no finding says "${f}" (reported: ${rel.findings.join('; ') || 'none'})`);
    if (e.causeIncludes && !(rel.demotionCause ?? '').includes(e.causeIncludes)) out.push(`${name}: its cause does not say "${e.causeIncludes}" (it says: ${rel.demotionCause ?? 'nothing'})`);
    if (rel.maxInstancesOnVersionOutsideOpenRings > s.expect.maxInstancesOnVersionOutsideOpenRings) {
      out.push(`${name}: ${rel.maxInstancesOnVersionOutsideOpenRings} instances ran it outside the open rings (allowed ${s.expect.maxInstancesOnVersionOutsideOpenRings})`);
    }
  }
  for (const n of s.expect.notifications) {
    if (!r.notifications.some((x) => x.event === n.event && x.version === n.version && x.image === n.image && x.delivered === n.delivered)) {
      out.push(`no ${n.delivered ? 'delivered' : 'undelivered'} ${n.event} notice for ${releaseLabel(s, n.image, n.version)}`);
    }
  }
  for (const [event, most] of Object.entries(s.expect.maxNotices)) {
    const n = r.notifications.filter((x) => x.event === event && x.delivered).length;
    if (n > most) out.push(`${n} ${event} notices delivered (at most ${most})`);
  }
  for (const w of s.expect.noReimage) {
    const from = r.timeline.controlled.start + (parseDuration(w.from) ?? 0);
    const until = r.timeline.controlled.start + (parseDuration(w.until) ?? 0);
    const changed = reimagedIn(r.timeline.controlled, from, until, w.regions);
    if (changed.length > 0) out.push(`instances changed version between ${w.from} and ${w.until} in ${changed.join(', ')} (a window with no reimage)`);
  }
  const ratio = s.expect.maxBlastRadiusRatio;
  if (ratio !== undefined && r.baseline && (r.blastRadius.ratioToBaseline ?? Infinity) > ratio) {
    out.push(`blast radius ${r.blastRadius.ratioToBaseline} of Azure alone's, above ${ratio}`);
  }
  return out;
}

/**
 * From the platform's halt (the Faulted rolling upgrade's end, in the simulator) to the moment no region could
 * take the bad version: the watcher's poll, Event Grid delivery, the orchestrator's round and the demote
 * PATCH, in simulated time (at the simulated moment an event was handled; otherwise at the lockstep step).
 */
function breachToDemote(c: ControlledRun): number[] {
  const ms = c.watch.figures().faultToContainedMs;
  return ms === null ? [] : [ms];
}

/** The most instances that ran `version` at once in each region. */
function maxPerRegion(t: FleetTimeline, version: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const p of t.points) for (const [region, counts] of Object.entries(p.counts)) out[region] = Math.max(out[region] ?? 0, counts[version] ?? 0);
  return out;
}

/** The first time both regions were part-way to the version (some instances on it, not all), if ever. */
function bothPartWay(t: FleetTimeline, version: string, a: string, b: string): number | undefined {
  const partWay = (counts: Record<string, number> | undefined) => {
    const on = counts?.[version] ?? 0;
    const all = Object.values(counts ?? {}).reduce((x, y) => x + y, 0);
    return on > 0 && on < all;
  };
  return t.points.find((p) => partWay(p.counts[a]) && partWay(p.counts[b]))?.at;
}

/** Regions where the version counts changed at a point inside [from, until). */
function reimagedIn(t: FleetTimeline, from: number, until: number, regions?: string[]): string[] {
  const out = new Set<string>();
  t.points.forEach((p, i) => {
    const prev = t.points[i - 1];
    if (!prev || p.at < from || p.at >= until) return;
    for (const [region, counts] of Object.entries(p.counts)) {
      if (regions && !regions.includes(region)) continue;
      const before = prev.counts[region] ?? {};
      const versions = new Set([...Object.keys(counts), ...Object.keys(before)]);
      if ([...versions].some((v) => (counts[v] ?? 0) !== (before[v] ?? 0))) out.add(region);
    }
  });
  return [...out].sort();
}

function markers(c: ControlledRun): TimelineMarker[] {
  const out: TimelineMarker[] = [];
  for (const s of c.summaries.values()) {
    const opened = s.rings.flatMap((r) => Object.entries(r.opened).map(([region, at]) => ({ ring: r.name, region, at })));
    for (const o of opened) out.push({ at: Date.parse(o.at), region: o.region, kind: 'ring-opened', label: `${s.version}: ${o.ring} opened ${o.region}` });
    if (s.demotion) for (const o of opened) out.push({ at: Date.parse(s.demotion.at), region: o.region, kind: 'demoted', label: `${s.version} demoted: ${s.demotion.cause}` });
  }
  for (const [set, h] of c.watch.halts) out.push({ at: h.at, region: h.region, kind: 'halted', label: `the platform halted ${set}` });
  return out;
}

function ledgerCheck(c: ControlledRun): Report['ledger'] {
  let rows = 0;
  let sequenceGaps = 0;
  let outagesRecorded = 0;
  const now = new Map<string, string>();
  for (const entries of c.ledgers.values()) {
    rows += entries.length;
    const seqs = entries.map((e) => e.sequence).sort((a, b) => a - b);
    seqs.forEach((q, i) => {
      if (q !== i) sequenceGaps++;
    });
    for (const e of entries) {
      now.set(`${e.release}#${e.sequence}`, JSON.stringify(e));
      if ((e.payload as { ledgerOutage?: unknown } | undefined)?.ledgerOutage) outagesRecorded++;
    }
  }
  let rewrittenAfterRestart = 0;
  for (const [key, row] of c.rowsBeforeRestarts) if (now.get(key) !== row) rewrittenAfterRestart++;
  return { rows, sequenceGaps, rewrittenAfterRestart, storageOutages: c.storageOutages, outagesRecorded };
}

function timing(s: ReleaseSummary, image: string, scenario: Scenario, c: ControlledRun) {
  const plan = planOf(scenario, image);
  const upgradeMs = (regions: readonly string[]) => Math.max(0, ...regions.map((r) => c.upgradeMsByRegion[r] ?? 0));
  const lowerBoundMs = plan.rings.reduce((sum, ring) => sum + (parseDuration(ring.soak) ?? 0) + upgradeMs(ring.regions), 0);
  const key = releaseKey(image, s.version);
  const at = c.publishedAt.get(key);
  const end = s.terminal ? s.transitions.at(-1)?.at : undefined;
  const durationMs = at !== undefined && end !== undefined ? Date.parse(end) - at : null;
  let floorMs: number | null = null;
  if (at !== undefined) {
    const replicas = c.replicatedAt.get(key) ?? {};
    const waves = ringWaves(plan, c.sets.filter((x) => x.image.toLowerCase() === image.toLowerCase()));
    floorMs = plan.rings.reduce((sum, ring, i) => {
      // The canary can open at publication; a later ring once the ring before it passed (its opening, here).
      const opened = firstTime(Object.values(s.rings[i]?.opened ?? {}));
      const canOpen = i === 0 ? at : opened === null ? undefined : Date.parse(opened);
      const replicated = Math.max(0, ...ring.regions.map((r) => replicas[r] ?? 0));
      const replication = canOpen === undefined ? 0 : Math.max(0, replicated - canOpen);
      const extraWaves = (waves[i] ?? []).slice(1).reduce((w, wave) => w + upgradeMs(wave.regions), 0);
      return sum + replication + extraWaves;
    }, lowerBoundMs);
    if (plan.drive === 'on') floorMs += c.firstBatchMs;
  }
  const ratio = (ms: number | null) => (durationMs !== null && ms !== null && ms > 0 ? round3(durationMs / ms) : null);
  return { durationMs, lowerBoundMs, ratioToLowerBound: ratio(lowerBoundMs), floorMs, ratioToFloor: ratio(floorMs) };
}

/** From a ring's end of soak to the next ring's opening. */
function gateToNextRing(c: ControlledRun): number[] {
  const out: number[] = [];
  for (const s of c.summaries.values()) {
    s.rings.forEach((r, i) => {
      const next = s.rings[i + 1];
      const opened = next && firstTime(Object.values(next.opened));
      if (r.soakUntil && opened) out.push(Math.max(0, Date.parse(opened) - Date.parse(r.soakUntil)));
    });
  }
  return out;
}

export function renderReportHtml(r: Report, summaries: ReleaseSummary[], ledgers: Map<string, LedgerEntry[]>): string {
  const rows = (pairs: [string, string][]) => pairs.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('');
  const comparison = `<section class="release" id="comparison"><h2>Ringmaster vs Azure alone<span class="phase ${r.outcome === 'passed' ? 'phase-completed' : 'phase-failed'}">${esc(r.outcome)}</span></h2>
<table><thead><tr><th></th><th>with Ringmaster</th><th>Azure alone</th></tr></thead><tbody>
<tr><th>instances that ran a bad version</th><td>${r.blastRadius.instancesOnBadVersion}</td><td>${r.baseline?.instancesOnBadVersion ?? '—'}</td></tr>
<tr><th>regions affected</th><td>${r.blastRadius.regionsAffected}</td><td>${r.baseline?.regionsAffected ?? '—'}</td></tr>
<tr><th>time until no region takes it</th><td>${esc(r.timings.breachToDemoteMs.length ? `${isoDuration(r.timings.breachToDemoteMs[0]!)} after the platform halted` : '—')}</td><td>${esc(r.baseline?.timeUntilContained ?? 'never (nobody demotes it)')}</td></tr>
<tr><th>blast radius ratio</th><td colspan="2">${r.blastRadius.ratioToBaseline ?? '—'}</td></tr>
</tbody></table>
<table><tbody>${rows([
    ['scenario', r.scenario],
    ['simulated', `${r.simulatedStart} → ${r.simulatedEnd} (${r.simulatedDuration})`],
    ['wall time', `${r.wallMs} ms`],
    ['ARM calls', String(r.armCalls.total)],
    ['notices', r.notifications.map((n) => `${n.event}/${n.channel}/${n.version}${n.delivered ? '' : ' (not delivered)'}`).join(', ')],
    ['unmet expectations', r.failures.join('; ') || 'none'],
  ])}</tbody></table></section>`;
  const t = r.timeline;
  // One colour per version in both pictures.
  const versions = [...new Set([t.controlled, t.baseline].flatMap((x) => x?.points ?? []).flatMap((p) => Object.values(p.counts).flatMap((c) => Object.keys(c))))];
  const pictures = `<section class="release" id="timeline"><h2>The rollout, region by region</h2><div class="timelines" style="display:flex;flex-wrap:wrap;gap:24px">${renderTimeline(t.controlled, { title: 'with Ringmaster', end: t.end, regions: t.regions, markers: t.controlled.markers, versions })}${t.baseline ? renderTimeline(t.baseline, { title: 'Azure alone', end: t.end, regions: t.regions, versions }) : ''}</div><p>Share of each region's instances on each version; dashed lines: a ring opened there; red: the platform halted a rolling upgrade, or the version was demoted.</p></section>`;
  return renderDashboard({
    title: `Ringmaster rehearsal: ${r.scenario}`,
    generatedAt: r.simulatedEnd,
    releases: summaries.map((s) => ({ summary: s, ledger: ledgers.get(releaseKey(imageNameOf(s.versionId), s.version)) ?? [] })),
    extraHtml: comparison + pictures,
  });
}

function firstTime(times: string[]): string | null {
  return times.length ? [...times].sort()[0]! : null;
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

/** 5_400_000 → "PT1H30M". */
export function isoDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return `PT${h ? `${h}H` : ''}${m ? `${m}M` : ''}${sec || (!h && !m) ? `${sec}S` : ''}`;
}
