/**
 * Decisions as telemetry: every ledger row that is a decision, a command, its result or a notice becomes one
 * OpenTelemetry log record named `ringmaster.<kind>`, which the Azure Monitor exporter sends to Application Insights
 * as a custom event (a row of `customEvents`; queries in docs/operator-guide.md). Emitted through the global logger
 * provider: `useAzureMonitor` installs it in Azure (src/functions/telemetry.ts); elsewhere it is a no-op.
 *
 * An event carries where the release stood and what happened — release, image, version, phase, ring, cause, what,
 * ok — and never a secret: secret *names* only, and any URL in a cause is cut out (a webhook URL is a credential).
 * Emitting never throws: bookkeeping never blocks safety.
 */
import { logs, type Logger } from '@opentelemetry/api-logs';
import type { LedgerEntry } from '../ledger/ledger';
import { releaseNamesOf } from './release-runtime';

export const TELEMETRY_PREFIX = 'ringmaster.';
/**
 * The log record attribute that makes the Azure Monitor exporter send the record as a custom event (EventData,
 * `customEvents`) named by its value instead of a trace; the exporter leaves `microsoft*` attributes out of
 * customDimensions. Read in @azure/monitor-opentelemetry-exporter 1.0.0-beta.42 (`ApplicationInsightsCustomEventName`
 * in utils/constants/applicationinsights, used by `logToEnvelope` in utils/logUtils), the exporter that
 * @azure/monitor-opentelemetry 1.18.1 pins.
 */
export const CUSTOM_EVENT_NAME = 'microsoft.custom_event.name';
const KINDS = new Set(['decision', 'command', 'result', 'notice']);
const MAX_CAUSE = 1000;

/** One custom event: `at` is its timestamp; every other field but `name` is a customDimension (`ok` as "true"/"false"). */
export interface TelemetryEvent {
  name: string;
  release: string;
  /** The image and version, read from the release id (absent for an id of another shape). */
  image?: string;
  version?: string;
  /** The ledger row's sequence: the key to the row (the release's ledger has the full payload). */
  sequence: number;
  at: string;
  phase?: string;
  ring?: string;
  cause: string;
  /** The command's or the result's kind (demote-version, start-os-upgrade…), the notice's kind, the kinds of a decision's commands. */
  what?: string;
  /** A result: ARM took the write; a notice: it was delivered. */
  ok?: boolean;
}

/** The telemetry events of ledger rows (observations are left out: they are many and the ledger has them). */
export function telemetryOf(rows: readonly LedgerEntry[]): TelemetryEvent[] {
  return rows
    .filter((r) => KINDS.has(r.kind))
    .map((r) => {
      const p = (r.payload ?? {}) as { kind?: unknown; notice?: unknown; ok?: unknown; delivered?: unknown; commands?: unknown };
      const what = typeof p.kind === 'string' ? p.kind : typeof p.notice === 'string' ? p.notice : Array.isArray(p.commands) ? [...new Set(p.commands)].join(',') : undefined;
      const ok = typeof p.ok === 'boolean' ? p.ok : typeof p.delivered === 'boolean' ? p.delivered : undefined;
      return {
        name: `${TELEMETRY_PREFIX}${r.kind}`,
        release: r.release,
        ...releaseNamesOf(r.release),
        sequence: r.sequence,
        at: r.at,
        ...(r.phase ? { phase: r.phase } : {}),
        ...(r.ring ? { ring: r.ring } : {}),
        cause: withoutUrls(r.cause).slice(0, MAX_CAUSE),
        ...(what ? { what } : {}),
        ...(ok !== undefined ? { ok } : {}),
      };
    });
}

/** A webhook URL is its own credential (Teams Workflows `sig=`, Slack's path): no URL leaves in telemetry. */
function withoutUrls(text: string): string {
  return text.replace(/\bhttps?:\/\/[^\s"'<>]+/gi, '[url]');
}

/**
 * Emits each event as one log record on `logger` (default: the global provider's `ringmaster` logger), timed at the
 * row's `at`. Returns how many were emitted; a logger or exporter that throws is ignored.
 */
export function emitTelemetry(rows: readonly LedgerEntry[], logger?: Logger): number {
  let n = 0;
  try {
    const out = logger ?? logs.getLogger('ringmaster');
    for (const { name, at, ...fields } of telemetryOf(rows)) {
      try {
        // A Date, not a number: a number before the process started would be read as performance time.
        const time = new Date(at);
        out.emit({ body: name, attributes: { [CUSTOM_EVENT_NAME]: name, ...fields }, ...(Number.isFinite(time.getTime()) ? { timestamp: time } : {}) });
        n++;
      } catch {
        // the next event may still go; telemetry is never Ringmaster's reason to fail
      }
    }
  } catch {
    // no logger at all: the ledger has the rows
  }
  return n;
}
