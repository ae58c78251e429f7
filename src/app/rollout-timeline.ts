/**
 * The rollout as Ringmaster saw it, for the live dashboard: per image definition and region, how many of the
 * instances it read ran each version, over time, derived from the ledger rows of the image's releases (and their
 * summaries, for ring openings and demotions). Not the platform's ground truth, which only a rehearsal's
 * simulator has (src/local/fleet-watch.ts): a region's row starts when Ringmaster first read one of its scale
 * sets (when its ring opened), and between two readings the last one stands.
 *
 * A scale set's counts come from the latest reading of it:
 * - `instances-observed`: each instance's version, as ARM lists it (exact).
 * - `rolling-upgrade-observed` of one of the image's versions: `successful + failed` instances ran it; the others
 *   keep the versions the last instance read saw. Failed instances stay counted until an instance read shows them
 *   rolled back: the progress does not say whether the set's policy rolls them back. In one round an instance
 *   read wins over a progress, and a progress already applied (an old upgrade restated: a new release reads the
 *   last one's Faulted upgrade) is not applied again.
 *
 * Worked example (the payments rehearsal): at 08:10 1.7.0's release reads eastus-1 and eastus-2, 10 × 1.6.4 each:
 * eastus {1.6.4: 20}. At 08:35 eastus-1's upgrade is Faulted with {successful 0, failed 2}: {1.6.4: 18, 1.7.0: 2},
 * a share of 0.1. At 12:00 1.7.1's release reads eastus-1 again: 10 × 1.6.4 (rolled back), so {1.6.4: 20}; the
 * Faulted upgrade it restates in the same round changes nothing.
 */
import { parseGalleryImageVersionId } from '../azure/resource-ids';
import { imageDefinitionOf, upgradeFingerprint, type ReleaseEvent } from '../core';
import type { LedgerEntry } from '../ledger/ledger';
import type { ReleaseSummary } from './release-summary';
import type { TimelineMarker, VersionTimeline } from './timeline-svg';

export interface RolloutRelease {
  summary: ReleaseSummary;
  ledger: LedgerEntry[];
}

/** One image definition's picture: the step series, the time it ends, the markers of each of its releases. */
export interface RolloutTimeline extends VersionTimeline {
  /** The gallery image definition id, as the newest release names it. */
  image: string;
  /** The plan's name (of the newest release). */
  plan: string;
  end: number;
  markers: TimelineMarker[];
}

/** How far back a live picture reaches by default: a week before the last row (earlier rows only give its first state). */
export const ROLLOUT_WINDOW_MS = 7 * 24 * 3_600_000;

/** Instances whose version ARM did not give. */
export const UNKNOWN_VERSION = 'unknown version';
/** Instances a progress says are not on the version rolled out, when no instance read said what they run. */
export const OTHER_VERSIONS = 'other versions';

type Event<K extends ReleaseEvent['kind']> = Extract<ReleaseEvent, { kind: K }>;
type Counts = Record<string, number>;

/** A ledger row with the release that wrote it. */
interface Row {
  entry: LedgerEntry;
  release: RolloutRelease;
  /** The release's next row (a decision follows the observation it answered). */
  next: LedgerEntry | undefined;
  /** `entry.at` in ms. */
  ms: number;
}

/** One picture per image definition, in the order of the releases given (the dashboard's: newest first). */
export function rolloutTimelines(releases: RolloutRelease[], opts: { windowMs?: number } = {}): RolloutTimeline[] {
  const byImage = new Map<string, RolloutRelease[]>();
  for (const r of releases) {
    const key = imageDefinitionOf(r.summary.versionId).toLowerCase();
    byImage.set(key, [...(byImage.get(key) ?? []), r]);
  }
  return [...byImage.values()].flatMap((rs) => rolloutTimeline(rs, opts) ?? []);
}

/** The picture of one image's releases (newest first); undefined when their ledgers hold no row. */
export function rolloutTimeline(releases: RolloutRelease[], opts: { windowMs?: number } = {}): RolloutTimeline | undefined {
  const newest = releases[0];
  const rows: Row[] = releases.flatMap((release) => release.ledger.map((entry, i) => ({ entry, release, next: release.ledger[i + 1], ms: Date.parse(entry.at) })));
  if (!newest || rows.length === 0) return undefined;
  // Stable: rows of one time keep their release's order and sequence.
  rows.sort((a, b) => a.ms - b.ms);
  const image = imageDefinitionOf(newest.summary.versionId);
  const regions = [...new Set(releases.flatMap((r) => r.summary.rings.flatMap((ring) => ring.regions)))];
  const last = releases.map((r) => utcMs(r.summary.updatedAt)).filter(Number.isFinite).reduce((a, b) => Math.max(a, b), rows.at(-1)!.ms);
  const first = rows[0]!.ms;
  const start = Math.max(first, last - (opts.windowMs ?? ROLLOUT_WINDOW_MS));
  // A little room after the last change, so the final step is drawn.
  const end = last + Math.max(60_000, (last - start) / 40);
  const points = clip(countsOverTime(rows, image), start);
  const markers = [...ringMarkers(releases), ...haltMarkers(rows, image), ...demotionMarkers(releases)].filter((m) => m.at >= start && m.at <= end);
  return { image, plan: newest.summary.plan, start, end, regions, points, markers };
}

/** The counts per region after each time that changed them. */
function countsOverTime(rows: Row[], image: string): VersionTimeline['points'] {
  const regionOf = new Map<string, string>();
  const sets = new Map<string, Counts>();
  const applied = new Map<string, Set<string>>();
  const points: VersionTimeline['points'] = [];
  let lastText = '';
  for (const group of byTime(rows)) {
    const readNow = new Set<string>();
    for (const row of group) {
      const e = eventOf(row.entry);
      if (e?.kind === 'fleet-observed') for (const s of e.scaleSets) regionOf.set(s.id.toLowerCase(), s.region);
      if (e?.kind === 'instances-observed' && e.instances.length > 0) {
        const id = e.scaleSetId.toLowerCase();
        sets.set(id, tally(e.instances.map((i) => i.version ?? UNKNOWN_VERSION)));
        readNow.add(id);
      }
    }
    for (const row of group) {
      const e = eventOf(row.entry);
      if (e?.kind !== 'rolling-upgrade-observed') continue;
      const id = e.scaleSetId.toLowerCase();
      const version = upgradeVersion(e, row, image, regionOf.get(id));
      if (version === undefined) continue;
      // A progress read before (restated by a later round or another release) is old news; an instance read of the
      // same round is the newer word.
      const key = `${version}|${upgradeFingerprint(e)}`;
      const seen = applied.get(id) ?? new Set<string>();
      const again = seen.has(key);
      applied.set(id, seen.add(key));
      if (again || readNow.has(id)) continue;
      sets.set(id, afterProgress(sets.get(id) ?? {}, version, e.progress));
    }
    const counts: Record<string, Counts> = {};
    for (const [id, c] of sets) {
      const region = regionOf.get(id);
      if (region === undefined) continue;
      const into = (counts[region] ??= {});
      for (const [v, n] of Object.entries(c)) into[v] = (into[v] ?? 0) + n;
    }
    const text = canonical(counts);
    if (text === lastText) continue;
    lastText = text;
    points.push({ at: group[0]!.ms, counts });
  }
  return points;
}

/**
 * A set's counts after a progress of `version`: `successful + failed` ran it, the rest share out over the
 * versions the set ran before, in proportion (largest remainder). E.g. {1.6.4: 10} and {successful 2, failed 0,
 * inProgress 2, pending 6} of 1.7.1 → {1.6.4: 8, 1.7.1: 2}.
 */
export function afterProgress(before: Counts, version: string, p: Event<'rolling-upgrade-observed'>['progress']): Counts {
  const upgraded = p.successful + p.failed;
  const rest = Math.max(0, p.inProgress + p.pending);
  const others = Object.entries(before).filter(([v, n]) => v !== version && n > 0);
  const out: Counts = {};
  const total = others.reduce((a, [, n]) => a + n, 0);
  if (total === 0) {
    if (rest > 0) out[OTHER_VERSIONS] = rest;
  } else {
    const shares = others.map(([v, n]) => ({ v, exact: (rest * n) / total }));
    for (const s of shares) out[s.v] = Math.floor(s.exact);
    let left = rest - shares.reduce((a, s) => a + Math.floor(s.exact), 0);
    for (const s of [...shares].sort((a, b) => (b.exact % 1) - (a.exact % 1))) if (left-- > 0) out[s.v]! += 1;
  }
  if (upgraded > 0) out[version] = upgraded;
  return Object.fromEntries(Object.entries(out).filter(([, n]) => n > 0));
}

/**
 * Which of the image's versions an upgrade rolls out: the one OS upgrade history names; when it names none, the
 * recording release's own, if that release had opened the set's region before the upgrade started (as the engine
 * judges it). Undefined: another image's version, or nothing to say.
 */
function upgradeVersion(e: Event<'rolling-upgrade-observed'>, row: Row, image: string, region: string | undefined): string | undefined {
  if (e.versionId !== undefined) {
    const v = parseGalleryImageVersionId(e.versionId);
    return v && imageDefinitionOf(e.versionId).toLowerCase() === image.toLowerCase() ? v.version : undefined;
  }
  const opened = region === undefined ? undefined : openedAt(row.release.summary, region);
  const started = e.startTime === undefined ? row.ms : Date.parse(e.startTime);
  return opened !== undefined && started >= opened ? row.release.summary.version : undefined;
}

function ringMarkers(releases: RolloutRelease[]): TimelineMarker[] {
  return releases.flatMap(({ summary: s }) =>
    s.rings.flatMap((ring) => Object.entries(ring.opened).map(([region, at]): TimelineMarker => ({ at: utcMs(at), region, kind: 'ring-opened', label: `${s.version}: ${ring.name} opened ${region}` }))),
  );
}

/**
 * Halts and breaches where they happened: a rolling upgrade of the image's version Faulted (once per upgrade,
 * however often it was read), and any other observation the engine answered with a demotion — instance evidence
 * in its set's region, an alert or a metric gate in every region the release had open.
 */
function haltMarkers(rows: Row[], image: string): TimelineMarker[] {
  const out: TimelineMarker[] = [];
  const regionOf = new Map<string, string>();
  const seen = new Set<string>();
  for (const row of rows) {
    const e = eventOf(row.entry);
    const at = row.ms;
    const s = row.release.summary;
    if (e?.kind === 'fleet-observed') for (const set of e.scaleSets) regionOf.set(set.id.toLowerCase(), set.region);
    if (e?.kind === 'rolling-upgrade-observed' && e.code === 'Faulted') {
      const region = regionOf.get(e.scaleSetId.toLowerCase());
      const version = upgradeVersion(e, row, image, region);
      const key = [e.scaleSetId.toLowerCase(), version, e.startTime ?? ''].join('|');
      if (region === undefined || version === undefined || seen.has(key)) continue;
      seen.add(key);
      out.push({ at, region, kind: 'halted', label: `${version}: the platform halted ${shortName(e.scaleSetId)} (${e.errorCode ?? 'Faulted'})` });
      continue;
    }
    if (!e || !demotedBy(row)) continue;
    const label = `${s.version}: breach — ${row.entry.cause}`;
    if (e.kind === 'instances-observed' || e.kind === 'rolling-upgrade-observed') {
      const region = regionOf.get(e.scaleSetId.toLowerCase());
      if (region !== undefined) out.push({ at, region, kind: 'halted', label });
    } else if (e.kind === 'alert' || e.kind === 'gate-observed') {
      for (const region of openRegions(s, at)) out.push({ at, region, kind: 'halted', label });
    }
  }
  return out;
}

/** A demotion, in every region its release had opened (as the rehearsal's report draws it). */
function demotionMarkers(releases: RolloutRelease[]): TimelineMarker[] {
  return releases.flatMap(({ summary: s }) => {
    const d = s.demotion;
    if (!d) return [];
    const at = utcMs(d.at);
    return openRegions(s, at).map((region): TimelineMarker => ({ at, region, kind: 'demoted', label: `${s.version} demoted by ${d.by}: ${d.cause}` }));
  });
}

/** The row's observation led straight to a demotion: its decision row (the next one) carries `demote-version`. */
function demotedBy(row: Row): boolean {
  const next = row.next;
  if (next?.kind !== 'decision' || next.at !== row.entry.at) return false;
  const commands = (next.payload as { commands?: unknown } | null)?.commands;
  return Array.isArray(commands) && commands.includes('demote-version');
}

/** The engine's event an observation row carries, when it is one this picture reads. */
function eventOf(e: LedgerEntry): ReleaseEvent | undefined {
  if (e.kind !== 'observation' || typeof e.payload !== 'object' || e.payload === null) return undefined;
  const p = e.payload as Partial<Record<string, unknown>>;
  switch (p.kind) {
    case 'fleet-observed':
      return Array.isArray(p.scaleSets) ? (p as Event<'fleet-observed'>) : undefined;
    case 'instances-observed':
      return typeof p.scaleSetId === 'string' && Array.isArray(p.instances) ? (p as Event<'instances-observed'>) : undefined;
    case 'rolling-upgrade-observed':
      return typeof p.scaleSetId === 'string' && isProgress(p.progress) ? (p as Event<'rolling-upgrade-observed'>) : undefined;
    case 'alert':
    case 'gate-observed':
      return p as ReleaseEvent;
    default:
      return undefined;
  }
}

function isProgress(p: unknown): p is Event<'rolling-upgrade-observed'>['progress'] {
  const q = p as Partial<Record<string, unknown>> | null;
  return typeof q === 'object' && q !== null && ['successful', 'failed', 'inProgress', 'pending'].every((k) => typeof q[k] === 'number');
}

/** Rows grouped by their time (one orchestrator round writes its rows under one time). */
function byTime(rows: Row[]): Row[][] {
  const out: Row[][] = [];
  for (const row of rows) {
    const group = out.at(-1);
    if (group && group[0]!.ms === row.ms) group.push(row);
    else out.push([row]);
  }
  return out;
}

/** Points from `start` on: the state at `start` is the last one before it. */
function clip(points: VersionTimeline['points'], start: number): VersionTimeline['points'] {
  const before = points.filter((p) => p.at <= start).at(-1);
  return [...(before ? [{ ...before, at: start }] : []), ...points.filter((p) => p.at > start)];
}

function openRegions(s: ReleaseSummary, at: number): string[] {
  return s.rings.flatMap((ring) => Object.entries(ring.opened).filter(([, t]) => utcMs(t) <= at).map(([region]) => region));
}

function openedAt(s: ReleaseSummary, region: string): number | undefined {
  const at = s.rings.find((ring) => ring.opened[region] !== undefined)?.opened[region];
  return at === undefined ? undefined : utcMs(at);
}

/** A summary's time in ms: a large release's summary keeps its ring times to the minute ("2025-01-06T08:10"), still UTC. */
function utcMs(iso: string): number {
  return Date.parse(/(Z|[+-]\d\d:\d\d)$/.test(iso) ? iso : `${iso}Z`);
}

/** The same counts give the same text, whatever order they were added in. */
function canonical(counts: Record<string, Counts>): string {
  return JSON.stringify(Object.keys(counts).sort().map((r) => [r, Object.entries(counts[r]!).sort(([a], [b]) => a.localeCompare(b))]));
}

function tally(labels: string[]): Counts {
  const out: Counts = {};
  for (const l of labels) out[l] = (out[l] ?? 0) + 1;
  return out;
}

function shortName(id: string): string {
  return id.split('/').at(-1) ?? id;
}
