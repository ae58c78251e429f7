/**
 * The read-only release dashboard, served at GET /api/dashboard and written as report.html by the
 * rehearsal, from one template. Self-contained HTML: inline CSS, inline SVG, no script, no asset from a CDN.
 */
import type { LedgerEntry } from '../ledger/ledger';
import { esc } from './html';
import type { ReleaseSummary } from './release-summary';
import { rolloutTimelines } from './rollout-timeline';
import { renderTimeline } from './timeline-svg';

export { esc } from './html';

export interface DashboardRelease {
  summary: ReleaseSummary;
  ledger: LedgerEntry[];
  /** Instances per image version name in this release's regions, when known (the rehearsal knows). */
  instancesByVersion?: Record<string, number>;
}

export interface DashboardModel {
  title: string;
  generatedAt: string;
  releases: DashboardRelease[];
  /** Seconds between automatic reloads; omitted for a static report. */
  refreshSeconds?: number;
  /** A section above the releases (the rehearsal's comparison with Azure alone), already escaped HTML. */
  extraHtml?: string;
  /**
   * Draw each image's rollout as Ringmaster observed it, from the releases' ledgers (rollout-timeline.ts). The live
   * dashboard does; the rehearsal's report draws the simulator's ground truth instead.
   */
  rollout?: boolean;
}

/** Styles of the rollout pictures, only on a page that has them. */
const ROLLOUT_CSS = `
section.rollout{background:#fff;border:1px solid #d0d7de;border-radius:8px;margin:0 0 20px;padding:12px 16px}
figure.timeline{margin:8px 0 0}p.note{color:#57606a;font-size:12px;margin:4px 0 0}`;

export function renderDashboard(model: DashboardModel): string {
  const refresh = model.refreshSeconds ? `<meta http-equiv="refresh" content="${model.refreshSeconds}">` : '';
  const releases = model.releases.length
    ? model.releases.map(renderRelease).join('\n')
    : '<p class="empty">No releases yet. Publish a gallery image version that a plan covers.</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">${refresh}
<title>${esc(model.title)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;color:#1b1f24;background:#f6f8fa}
header{background:#0b3d91;color:#fff;padding:12px 24px}header h1{margin:0;font-size:20px}header p{margin:2px 0 0;opacity:.85}
main{padding:16px 24px;max-width:1200px}
section.release{background:#fff;border:1px solid #d0d7de;border-radius:8px;margin:0 0 20px;padding:12px 16px}
h2{margin:0 0 6px;font-size:18px}.phase{display:inline-block;padding:2px 8px;border-radius:10px;font-size:12px;font-weight:600;margin-left:8px;vertical-align:middle}
.phase-completed{background:#dafbe1;color:#116329}.phase-demoted,.phase-aborted,.phase-failed{background:#ffebe9;color:#a40e26}
.phase-paused,.phase-awaiting-approval,.phase-held{background:#fff8c5;color:#7d4e00}.phase-other{background:#ddf4ff;color:#0a3069}
.cause{color:#57606a;margin:4px 0 10px}
ol.rings{list-style:none;display:flex;gap:8px;padding:0;margin:8px 0;flex-wrap:wrap}
ol.rings li{flex:1;min-width:180px;border:1px solid #d0d7de;border-radius:6px;padding:8px;background:#fafbfc}
ol.rings li.passed{border-color:#1a7f37;background:#f0fff4}ol.rings li.open{border-color:#0969da;background:#f1f8ff}ol.rings li.stopped{border-color:#cf222e;background:#fff5f5}
.ring-name{font-weight:600}.region{display:inline-block;margin:2px 4px 0 0;padding:1px 6px;border-radius:4px;font-size:12px;background:#eaeef2}
.region.upgraded{background:#dafbe1}.region.open{background:#ddf4ff}
table{border-collapse:collapse;width:100%;font-size:12px;margin-top:6px}th,td{text-align:left;padding:3px 6px;border-bottom:1px solid #eaeef2;vertical-align:top}
th{background:#f6f8fa}td.kind{white-space:nowrap;font-weight:600}td.at{white-space:nowrap;color:#57606a}
details{margin-top:8px}summary{cursor:pointer;font-weight:600}.empty{color:#57606a}${model.rollout ? ROLLOUT_CSS : ''}
</style></head>
<body><header><h1>${esc(model.title)}</h1><p>Generated ${esc(model.generatedAt)} · read-only</p></header>
<main>
${model.extraHtml ?? ''}
${model.rollout ? renderRollouts(model.releases) : ''}${releases}
</main></body></html>
`;
}

/** One picture per image definition, above the releases: what Ringmaster read of its fleet, region by region. */
function renderRollouts(releases: DashboardRelease[]): string {
  return rolloutTimelines(releases)
    .map((t) => {
      const from = short(new Date(t.start).toISOString());
      const until = short(new Date(t.points.at(-1)?.at ?? t.start).toISOString());
      const title = 'as Ringmaster observed it';
      return `<section class="rollout" data-plan="${esc(t.plan)}" data-image="${esc(t.image)}"><h2>${esc(t.plan)}: the rollout, region by region</h2>
${renderTimeline(t, { title, end: t.end, regions: t.regions, markers: t.markers })}
<p class="note">${esc(`Share of the instances Ringmaster read in each region on each version, from ${from} (the axis's 0) to its last change at ${until}. A region's row starts when its scale sets were first read; between readings the last one stands. Dashed lines: a ring opened there; red: the platform halted a rolling upgrade or Ringmaster judged a breach, then the version's demotion. Drawn from Ringmaster's ledger, not from the platform's own record.`)}</p></section>
`;
    })
    .join('');
}

function renderRelease(r: DashboardRelease): string {
  const s = r.summary;
  const phaseClass = ['completed', 'demoted', 'aborted', 'failed', 'paused', 'awaiting-approval', 'held'].includes(s.phase) ? `phase-${s.phase}` : 'phase-other';
  const cause = s.demotion ? `Demoted: ${s.demotion.cause}` : s.waitingFor ? `Waiting: ${s.waitingFor}` : (s.transitions.at(-1)?.cause ?? '');
  const rings = s.rings
    .map((ring) => {
      const opened = Object.keys(ring.opened).length > 0;
      const cls = ring.passedAt ? 'passed' : opened && s.demotion ? 'stopped' : opened ? 'open' : 'closed';
      const state = ring.passedAt ? `passed ${short(ring.passedAt)}` : opened ? (s.demotion ? 'stopped' : ring.upgradedAt ? `soaking until ${short(ring.soakUntil)}` : `opened ${short(Object.values(ring.opened)[0])}`) : 'closed';
      const regions = ring.regions
        .map((region) => `<span class="region ${ring.upgraded[region] ? 'upgraded' : ring.opened[region] ? 'open' : ''}" data-region="${esc(region)}">${esc(region)}</span>`)
        .join('');
      return `<li class="${cls}" data-ring="${esc(ring.name)}"><div class="ring-name">${esc(ring.name)}</div><div>${esc(state)}</div><div>${regions}</div></li>`;
    })
    .join('');
  const instances = r.instancesByVersion
    ? `<p>Instances by version: ${Object.entries(r.instancesByVersion).map(([v, n]) => `<b>${esc(v)}</b> ${n}`).join(' · ')}</p>`
    : '';
  const ledger = r.ledger
    .map((e) => `<tr><td class="at">${esc(short(e.at))}</td><td class="kind">${esc(e.kind)}</td><td>${esc(e.cause)}</td></tr>`)
    .join('');
  return `<section class="release" data-release="${esc(s.release)}" data-phase="${esc(s.phase)}">
<h2>${esc(s.plan)} ${esc(s.version)}<span class="phase ${phaseClass}">${esc(s.phase)}</span></h2>
<p class="cause">${esc(cause)}</p>
<ol class="rings">${rings}</ol>
${instances}
<details${r.ledger.length <= 40 || ['demoted', 'paused', 'awaiting-approval', 'failed'].includes(s.phase) ? ' open' : ''}><summary>Ledger (${r.ledger.length} entries)</summary>
<table><thead><tr><th>time</th><th>kind</th><th>cause</th></tr></thead><tbody>${ledger}</tbody></table></details>
</section>`;
}

function short(iso: string | undefined): string {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '';
}
