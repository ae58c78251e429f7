/**
 * Delivery of one notice on one route: dedupe, bounded retries within a deadline, and a record instead of a throw.
 *
 * A notification never blocks or breaks a safety action: `deliver` resolves (never rejects) within `deadlineMs`
 * plus scheduling noise, whatever the sink does — down, slow, or answering 500s.
 */
import type { Notice, NoticeKind } from './notice';

export type Channel = 'teams' | 'slack';

export interface DeliveryRecord {
  route: string;
  channel: Channel;
  kind: NoticeKind;
  /** `(release, event, route)` dedupe key. */
  key: string;
  delivered: boolean;
  /** True when the key was already delivered (or in flight) and nothing was sent. */
  deduped: boolean;
  /** HTTP attempts made (0 when refused by policy or deduped). */
  attempts: number;
  /** Last HTTP status seen. */
  status?: number;
  error?: string;
  elapsedMs: number;
}

/** Remembers delivered keys. The ledger can provide a durable one; the default lives in memory. */
export interface DedupeStore {
  has(key: string): boolean | Promise<boolean>;
  add(key: string): void | Promise<void>;
}

export class MemoryDedupeStore implements DedupeStore {
  private readonly keys = new Set<string>();
  has(key: string): boolean {
    return this.keys.has(key);
  }
  add(key: string): void {
    this.keys.add(key);
  }
}

export interface DeliveryOptions {
  /** HTTP attempts at most (default 3). */
  maxAttempts?: number;
  /** One attempt's timeout (default 5 s). */
  timeoutMs?: number;
  /** Whole delivery including waits (default 15 s). */
  deadlineMs?: number;
  /** First back-off (default 500 ms), doubled per attempt, equal jitter. */
  baseDelayMs?: number;
  /** A Retry-After longer than this, or past the deadline, ends the delivery (default 10 s). */
  maxRetryAfterMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  now?: () => number;
  dedupe?: DedupeStore;
}

export type AttemptOutcome =
  | { ok: true; status: number }
  | { ok: false; retryable: boolean; status?: number; retryAfterMs?: number; error: string };

export function dedupeKey(notice: Notice, route: string): string {
  return `${notice.releaseId}|${notice.kind}:${notice.eventId}|${route}`;
}

/** Classifies an HTTP status: 2xx ok; 408, 429 and 5xx retryable; other 4xx final. */
export function outcomeOfStatus(status: number, body: string, retryAfterMs?: number): AttemptOutcome {
  if (status >= 200 && status < 300) return { ok: true, status };
  const retryable = status === 408 || status === 429 || status >= 500;
  const error = `HTTP ${status}${body ? `: ${body.slice(0, 200)}` : ''}`;
  return retryAfterMs === undefined ? { ok: false, retryable, status, error } : { ok: false, retryable, status, error, retryAfterMs };
}

/** `Retry-After` seconds (or HTTP date) → ms. */
export function retryAfterFromHeaders(headers: Record<string, string>, nowMs: number): number | undefined {
  const v = headers['retry-after'];
  if (v === undefined) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(v)) return Math.round(Number(v) * 1000);
  const d = Date.parse(v);
  return Number.isNaN(d) ? undefined : Math.max(0, d - nowMs);
}

const inFlight = new WeakMap<DedupeStore, Set<string>>();

export async function deliver(
  meta: { route: string; channel: Channel; notice: Notice },
  attempt: (timeoutMs: number) => Promise<AttemptOutcome>,
  options: DeliveryOptions = {},
): Promise<DeliveryRecord> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = options.random ?? Math.random;
  const maxAttempts = options.maxAttempts ?? 3;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const deadlineMs = options.deadlineMs ?? 15_000;
  const baseDelayMs = options.baseDelayMs ?? 500;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 10_000;
  const started = now();
  const key = dedupeKey(meta.notice, meta.route);
  const base = { route: meta.route, channel: meta.channel, kind: meta.notice.kind, key };
  const record = (r: Partial<DeliveryRecord> & { delivered: boolean; attempts: number }): DeliveryRecord => ({
    ...base,
    deduped: false,
    ...r,
    elapsedMs: now() - started,
  });

  const store = options.dedupe;
  let flying: Set<string> | undefined;
  let claimed = false;
  try {
    if (store) {
      flying = inFlight.get(store) ?? new Set();
      inFlight.set(store, flying);
      // Claim the key synchronously, before any await, so concurrent sends of the same notice cannot both pass.
      if (flying.has(key)) return record({ delivered: false, deduped: true, attempts: 0 });
      flying.add(key);
      claimed = true;
      if (await store.has(key)) return record({ delivered: false, deduped: true, attempts: 0 });
    }
    let last: AttemptOutcome | undefined;
    let attempts = 0;
    while (attempts < maxAttempts) {
      const remaining = deadlineMs - (now() - started);
      if (remaining <= 0) break;
      attempts++;
      last = await attempt(Math.min(timeoutMs, remaining)).catch(
        (e: unknown): AttemptOutcome => ({ ok: false, retryable: true, error: e instanceof Error ? e.message : String(e) }),
      );
      if (last.ok) {
        if (store) await store.add(key);
        return record({ delivered: true, attempts, status: last.status });
      }
      if (!last.retryable || attempts >= maxAttempts) break;
      const exp = baseDelayMs * 2 ** (attempts - 1);
      const backoff = Math.round(exp / 2 + (exp / 2) * Math.min(1, Math.max(0, random())));
      if (last.retryAfterMs !== undefined && last.retryAfterMs > maxRetryAfterMs) {
        last = { ...last, error: `${last.error} (Retry-After ${last.retryAfterMs} ms is too long)` };
        break;
      }
      const delay = Math.max(backoff, last.retryAfterMs ?? 0);
      if (now() - started + delay >= deadlineMs) break;
      await sleep(delay);
    }
    const failure: Partial<DeliveryRecord> & { delivered: false; attempts: number } = { delivered: false, attempts };
    if (last && !last.ok) {
      failure.error = last.error;
      if (last.status !== undefined) failure.status = last.status;
    } else if (!last) {
      failure.error = 'deadline reached before the first attempt';
    }
    return record(failure);
  } catch (e) {
    return record({ delivered: false, attempts: 0, error: e instanceof Error ? e.message : String(e) });
  } finally {
    if (claimed) flying?.delete(key);
  }
}

/** A delivery that is refused before any request (a URL the policy refuses, a secret that is not set): recorded, never sent. */
export function refusedDelivery(meta: { route: string; channel: Channel; notice: Notice }, reason: string, options: DeliveryOptions = {}): Promise<DeliveryRecord> {
  return deliver(meta, async () => ({ ok: false, retryable: false, error: reason }), { ...options, maxAttempts: 1 }).then((r) => ({ ...r, attempts: 0 }));
}
