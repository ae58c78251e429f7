/**
 * The rollout as a picture: per region, the share of its instances on each version over time, as stacked bands
 * in one small inline SVG (no script, no external reference), with ring openings, halts and demotions marked.
 * Each band carries what a test (or a person with the inspector) needs to check it: `data-region`,
 * `data-version`, `data-max-share` and `data-final-share`. One renderer for both pictures: the rehearsal's
 * report draws the simulator's ground truth (src/local/fleet-watch.ts), the live dashboard what Ringmaster
 * observed (rollout-timeline.ts).
 */
import { esc } from './html';

/** Instances per version (or label) in each region, at the times (ms) the counts changed; a step series. */
export interface VersionTimeline {
  start: number;
  regions: string[];
  points: { at: number; counts: Record<string, Record<string, number>> }[];
}

/** A moment drawn as a vertical line across one region's row; `halted`: a rolling upgrade Faulted, or a breach judged there. */
export interface TimelineMarker {
  at: number;
  region: string;
  kind: 'ring-opened' | 'halted' | 'demoted';
  label: string;
}

const ROW = 22;
const GAP = 6;
const LABEL = 110;
const PLOT = 420;
const PALETTE = ['#9aa5b1', '#3f7fbf', '#d9822b', '#2e9e6b', '#8a5cc2', '#c2455c', '#c9a227'];
const MARK = { 'ring-opened': '#1f2933', halted: '#c2455c', demoted: '#c2455c' } as const;

/** Versions in the order they first appear, so the previous version keeps the first colour in every chart. */
function versionsOf(t: VersionTimeline): string[] {
  const out: string[] = [];
  for (const p of t.points) for (const counts of Object.values(p.counts)) for (const v of Object.keys(counts)) if (!out.includes(v)) out.push(v);
  return out;
}

/** One figure: a row per region (in `regions`' order), a band per version, the markers; `end` closes the last step. */
export function renderTimeline(t: VersionTimeline, opts: { title: string; end: number; regions?: string[]; markers?: TimelineMarker[]; versions?: string[] }): string {
  const regions = (opts.regions ?? t.regions).filter((r) => t.regions.includes(r));
  const versions = opts.versions ?? versionsOf(t);
  const span = Math.max(1, opts.end - t.start);
  const x = (at: number) => LABEL + (Math.min(Math.max(at, t.start), opts.end) - t.start) * (PLOT / span);
  const height = regions.length * (ROW + GAP) + 28;
  const rows = regions.map((region, i) => {
    const top = 4 + i * (ROW + GAP);
    const steps = t.points.map((p, j) => ({ from: p.at, to: t.points[j + 1]?.at ?? opts.end, counts: p.counts[region] ?? {} }));
    const bands = versions.map((version, vi) => {
      let max = 0;
      let final = 0;
      const rects = steps.map(({ from, to, counts }) => {
        const total = Object.values(counts).reduce((a, b) => a + b, 0) || 1;
        const below = versions.slice(0, vi).reduce((a, v) => a + (counts[v] ?? 0), 0) / total;
        const share = (counts[version] ?? 0) / total;
        max = Math.max(max, share);
        final = share;
        if (share === 0 || to <= from) return '';
        return `<rect x="${x(from).toFixed(1)}" y="${(top + below * ROW).toFixed(1)}" width="${Math.max(0.5, x(to) - x(from)).toFixed(1)}" height="${(share * ROW).toFixed(1)}"/>`;
      });
      if (max === 0) return '';
      return `<g class="band" data-region="${esc(region)}" data-version="${esc(version)}" data-max-share="${round(max)}" data-final-share="${round(final)}" fill="${PALETTE[vi % PALETTE.length]}"><title>${esc(`${region}: ${version}, at most ${Math.round(max * 100)} % of the instances`)}</title>${rects.join('')}</g>`;
    });
    const marks = (opts.markers ?? [])
      .filter((m) => m.region === region)
      .map((m) => `<line class="marker" data-kind="${m.kind}" x1="${x(m.at).toFixed(1)}" x2="${x(m.at).toFixed(1)}" y1="${top - 2}" y2="${top + ROW + 2}" stroke="${MARK[m.kind]}" stroke-width="1.5"${m.kind === 'ring-opened' ? ' stroke-dasharray="3 2"' : ''}><title>${esc(m.label)}</title></line>`);
    return `<g class="region" data-region="${esc(region)}"><text x="0" y="${top + ROW / 2 + 4}" font-size="11">${esc(region)}</text><rect x="${LABEL}" y="${top}" width="${PLOT}" height="${ROW}" fill="none" stroke="#cbd2d9"/>${bands.join('')}${marks.join('')}</g>`;
  });
  const days = span > 48 * 3_600_000;
  const ticks = tickHours(span / 3_600_000)
    .map((h) => `<text x="${x(t.start + h * 3_600_000).toFixed(1)}" y="${height - 8}" font-size="10" text-anchor="middle">+${days ? `${h / 24} d` : `${h} h`}</text>`)
    .join('');
  const legend = versions.map((v, vi) => `<span style="color:${PALETTE[vi % PALETTE.length]}">■</span> ${esc(v)}`).join(' · ');
  return `<figure class="timeline"><figcaption>${esc(opts.title)} <small>${legend}</small></figcaption><svg shape-rendering="crispEdges" role="img" aria-label="${esc(opts.title)}" width="${LABEL + PLOT + 10}" height="${height}" viewBox="0 0 ${LABEL + PLOT + 10} ${height}" font-family="sans-serif">${rows.join('')}${ticks}</svg></figure>`;
}

/**
 * Where the time axis is labelled, in hours after the start: every hour up to 4 h, every 2 h up to 12 h, every
 * 4 h up to 48 h; beyond, whole days, at most about eight labels (a live release held for weeks: 21 d → every 3 d).
 */
function tickHours(hours: number): number[] {
  const every = hours > 48 ? 24 * Math.ceil(hours / 24 / 8) : hours > 12 ? 4 : hours > 4 ? 2 : 1;
  return Array.from({ length: Math.floor(hours / every) + 1 }, (_, k) => k * every);
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
