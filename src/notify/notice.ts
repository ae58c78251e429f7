/**
 * What a chat message says, independent of the chat service: the notice, and its title, facts and links.
 * Teams and Slack render the same facts in the same order, so the two never disagree.
 */

// The engine decides which notices exist (src/core/plan.ts); a chat message renders every one of them.
import { NOTICE_KINDS, type NoticeKind } from '../core/plan';

export { NOTICE_KINDS, type NoticeKind };

/** The numbers behind a decision; each optional, rendered when present. */
export interface NoticeNumbers {
  /** 1-based batch of the rolling upgrade. */
  batch?: number;
  batchCount?: number;
  /** Share of upgraded instances that are unhealthy, 0–100. */
  unhealthyPercent?: number;
  /** The limit it was compared with (`maxUnhealthyUpgradedInstancePercent`). */
  unhealthyLimitPercent?: number;
  instancesUpgraded?: number;
  instancesFailed?: number;
  instancesTotal?: number;
}

export interface Notice {
  kind: NoticeKind;
  /** Stable id of the release (one per gallery image version); part of the dedupe key. */
  releaseId: string;
  /** Id of the transition or event that caused this notice; part of the dedupe key. */
  eventId: string;
  /** Gallery image version ARM id. */
  versionId: string;
  ring?: string;
  regions?: string[];
  /** One or two sentences: what happened. */
  summary: string;
  numbers?: NoticeNumbers;
  /** e.g. `MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade`. */
  azureErrorCode?: string;
  /** What a human should do now, if anything. */
  nextStep?: string;
  scaleSetIds?: string[];
  dashboardUrl?: string;
  /** ISO 8601. */
  occurredAt: string;
}

export type NoticeTone = 'attention' | 'warning' | 'good';

const TONE: Record<NoticeKind, NoticeTone> = {
  started: 'good',
  'ring-opened': 'good',
  'ring-passed': 'good',
  held: 'warning',
  superseded: 'good',
  'awaiting-approval': 'warning',
  paused: 'warning',
  resumed: 'good',
  demoting: 'attention',
  demoted: 'attention',
  completed: 'good',
  failed: 'attention',
  aborted: 'attention',
  'rebake-succeeded': 'good',
  'rebake-failed': 'attention',
};

const VERB: Record<NoticeKind, string> = {
  started: 'Release started',
  'ring-opened': 'Ring opened',
  'ring-passed': 'Ring passed its gates',
  held: 'Held by a window or freeze',
  superseded: 'Superseded by a newer version',
  'awaiting-approval': 'Awaiting approval',
  paused: 'Paused',
  resumed: 'Resumed',
  demoting: 'Demoting (ARM has not accepted the write yet)',
  demoted: 'Demoted',
  completed: 'Completed',
  failed: 'Failed',
  aborted: 'Aborted',
  'rebake-succeeded': 'Rebake succeeded',
  'rebake-failed': 'Rebake failed',
};

export function noticeTone(kind: NoticeKind): NoticeTone {
  return TONE[kind];
}

const VERSION_RE = /\/galleries\/([^/]+)\/images\/([^/]+)\/versions\/([^/]+)$/i;

/** `{ image: 'payments-api', version: '1.7.0' }` from a version id (or the raw id when it is not one). */
export function versionLabel(versionId: string): { image: string; version: string } {
  const m = VERSION_RE.exec(versionId.replace(/\/+$/, ''));
  return m ? { image: m[2] ?? '', version: m[3] ?? '' } : { image: '', version: versionId };
}

/** Azure portal link to a resource id (each segment percent-encoded, so an odd name cannot break the URL). */
export function portalUrl(resourceId: string): string {
  return `https://portal.azure.com/#@/resource${resourceId.replace(/\/+$/, '').split('/').map(encodeURIComponent).join('/')}`;
}

/**
 * How a channel escapes free text for its markup (`escapeTeamsMarkdown`, `escapeMrkdwn` in `chat-text.ts`).
 * Titles and facts apply it to every piece that comes from outside (names, reasons, codes) and to nothing they
 * write themselves; the default leaves text as it is (plain-text places: Slack's header, button labels).
 */
export type Escape = (text: string) => string;

const asIs: Escape = (s) => s;

/** e.g. `Demoted: payments-api 1.7.0 (ring canary)` */
export function noticeTitle(n: Notice, esc: Escape = asIs): string {
  const { image, version } = versionLabel(n.versionId);
  const ring = n.ring ? ` (ring ${esc(n.ring)})` : '';
  return `${VERB[n.kind]}: ${image ? `${esc(image)} ` : ''}${esc(version)}${ring}`;
}

export interface Fact {
  title: string;
  value: string;
}

function pct(n: number): string {
  return `${Math.round(n * 10) / 10} %`;
}

/** The facts block, in a fixed order, skipping what the notice does not carry; `esc` applies to free text. */
export function noticeFacts(n: Notice, esc: Escape = asIs): Fact[] {
  const facts: Fact[] = [];
  const { image, version } = versionLabel(n.versionId);
  facts.push({ title: 'Version', value: image ? `${esc(image)} ${esc(version)}` : esc(version) });
  if (n.ring) facts.push({ title: 'Ring', value: esc(n.ring) });
  if (n.regions && n.regions.length > 0) facts.push({ title: 'Regions', value: n.regions.map(esc).join(', ') });
  const x = n.numbers ?? {};
  if (x.batch !== undefined) {
    facts.push({ title: 'Batch', value: x.batchCount !== undefined ? `${x.batch} of ${x.batchCount}` : `${x.batch}` });
  }
  if (x.unhealthyPercent !== undefined) {
    const limit = x.unhealthyLimitPercent !== undefined ? ` (limit ${pct(x.unhealthyLimitPercent)})` : '';
    facts.push({ title: 'Unhealthy upgraded', value: `${pct(x.unhealthyPercent)}${limit}` });
  }
  if (x.instancesUpgraded !== undefined || x.instancesTotal !== undefined) {
    const upgraded = x.instancesUpgraded ?? 0;
    const total = x.instancesTotal !== undefined ? ` of ${x.instancesTotal}` : '';
    const failed = x.instancesFailed !== undefined ? `, ${x.instancesFailed} failed` : '';
    facts.push({ title: 'Instances upgraded', value: `${upgraded}${total}${failed}` });
  } else if (x.instancesFailed !== undefined) {
    facts.push({ title: 'Instances failed', value: `${x.instancesFailed}` });
  }
  if (n.azureErrorCode) facts.push({ title: 'Azure error', value: esc(n.azureErrorCode) });
  if (n.scaleSetIds && n.scaleSetIds.length > 0) {
    facts.push({ title: 'Scale sets', value: n.scaleSetIds.map((id) => esc(id.split('/').pop() ?? id)).join(', ') });
  }
  facts.push({ title: 'When', value: esc(n.occurredAt) });
  return facts;
}

export interface Link {
  title: string;
  url: string;
}

/** Portal links (version, up to three scale sets) and the dashboard. */
export function noticeLinks(n: Notice): Link[] {
  const links: Link[] = [{ title: 'Version in Azure portal', url: portalUrl(n.versionId) }];
  for (const id of (n.scaleSetIds ?? []).slice(0, 3)) {
    links.push({ title: `Scale set ${id.split('/').pop() ?? ''} in portal`, url: portalUrl(id) });
  }
  if (n.dashboardUrl) links.push({ title: 'Ringmaster dashboard', url: n.dashboardUrl });
  return links;
}
