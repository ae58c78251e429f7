/**
 * Delivery of one notice on one route: dedupe, bounded retries within a deadline, and a record instead of a throw.
 *
 * A notification never blocks or breaks a safety action: `deliver` resolves (never rejects) within `deadlineMs`
 * plus scheduling noise, whatever the sink does — down, slow, or answering 500s.
 */
import { backoffMs, headerBag, parseRetryAfter } from '../http/retry-timing';
import type { Notice, NoticeKind } from './notice';

export type Channel = 'teams' | 'slack';

/** One chat destination. `send` never throws: failures come back in the record. */
export interface Notifier {
  readonly route: string;
  readonly channel: Channel;
  send(notice: Notice): Promise<DeliveryRecord>;
}

export interface DeliveryRecord {
  route: string;
  channel: Channel;
  kind: NoticeKind;
  /** `(release, event, route)` dedupe key. */
  key: string;
  delivered: boolean;
  /** True when the key was already delivered and nothing was sent. */
  deduped: boolean;
  /**
   * True when another delivery of the key held a live claim and nothing was sent. Not delivered, and not
   * deduped: that other delivery may still fail, so the caller retries later (and then finds it sent, or not).
   */
  inFlight?: boolean;
  /** HTTP attempts made (0 when refused by policy or deduped). */
  attempts: number;
  /** Last HTTP status seen. */
  status?: number;
  error?: string;
  elapsedMs: number;
}

/**
 * What `claim` answers: `claimed` (send it; `token` identifies this claim), `sent` (already delivered: send
 * nothing), `busy` (another delivery of the same key holds a live claim, in this process or another).
 */
export type DedupeClaim = { kind: 'claimed'; token: string } | { kind: 'sent' } | { kind: 'busy' };

/**
 * Remembers which notices were delivered, reserve-then-confirm: `claim` before the first request, `confirm`
 * after a 2xx, `release` after a failure (so a retry can claim again). A claim that is never confirmed or
 * released (the process died) must expire, so the notice is retried rather than lost. In memory here; durable
 * in Table Storage in `src/ledger/dedupe-table.ts`, for restarts and for a second instance.
 */
export interface DedupeStore {
  claim(key: string): DedupeClaim | Promise<DedupeClaim>;
  /** Records the key as delivered. `token` is undefined when the claim itself failed and the notice went anyway. */
  confirm(key: string, token: string | undefined): void | Promise<void>;
  release(key: string, token: string): void | Promise<void>;
}

/** One process's memory: a claim is held while its delivery runs (it cannot outlive the process). */
export class MemoryDedupeStore implements DedupeStore {
  private readonly sent = new Set<string>();
  private readonly claims = new Map<string, string>();
  private next = 0;
  claim(key: string): DedupeClaim {
    if (this.sent.has(key)) return { kind: 'sent' };
    if (this.claims.has(key)) return { kind: 'busy' };
    const token = String(++this.next);
    this.claims.set(key, token);
    return { kind: 'claimed', token };
  }
  confirm(key: string): void {
    this.sent.add(key);
    this.claims.delete(key);
  }
  release(key: string, token: string): void {
    if (this.claims.get(key) === token) this.claims.delete(key);
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
  /** Each call to the dedupe store gives up after this (default 3 s), so a storage outage cannot hold a notice up. */
  dedupeTimeoutMs?: number;
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

/** The delay a chat service asks for (`Retry-After` seconds or HTTP date), from a plain header record. */
export function retryAfterFromHeaders(headers: Record<string, string>, nowMs: number): number | undefined {
  return parseRetryAfter(headerBag(headers), nowMs);
}

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
  const dedupeTimeoutMs = options.dedupeTimeoutMs ?? 3_000;
  const bounded = <T>(what: string, call: () => T | Promise<T>) => withTimeout(Promise.resolve().then(call), dedupeTimeoutMs, `dedupe ${what} timed out after ${dedupeTimeoutMs} ms`);
  // The claim: undefined without a store; `token` undefined when the store could not be asked (the notice goes
  // anyway: a duplicate is better than an on-call who is never told).
  let claim: { token: string | undefined } | undefined;
  let dedupeError: string | undefined;
  try {
    if (store) {
      try {
        const c = await bounded('claim', () => store.claim(key));
        if (c.kind === 'sent') return record({ delivered: false, deduped: true, attempts: 0 });
        if (c.kind === 'busy') return record({ delivered: false, inFlight: true, attempts: 0, error: 'another delivery of this notice is in flight' });
        claim = { token: c.token };
      } catch (e) {
        claim = { token: undefined };
        dedupeError = `dedupe store unavailable, sent without it: ${e instanceof Error ? e.message : String(e)}`;
      }
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
        const delivered = { delivered: true, attempts, status: last.status };
        if (!store || !claim) return record(delivered);
        const token = claim.token;
        const confirmed = await bounded('confirm', () => store.confirm(key, token)).then(() => undefined, (e: unknown) => `delivered, but recording it failed: ${e instanceof Error ? e.message : String(e)}`);
        claim = undefined;
        const error = [dedupeError, confirmed].filter(Boolean).join('; ');
        return record(error ? { ...delivered, error } : delivered);
      }
      if (!last.retryable || attempts >= maxAttempts) break;
      const backoff = backoffMs(attempts, { baseDelayMs, maxDelayMs: Number.POSITIVE_INFINITY }, random);
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
      failure.error = dedupeError ? `${last.error}; ${dedupeError}` : last.error;
      if (last.status !== undefined) failure.status = last.status;
    } else if (!last) {
      failure.error = 'deadline reached before the first attempt';
    }
    return record(failure);
  } catch (e) {
    return record({ delivered: false, attempts: 0, error: e instanceof Error ? e.message : String(e) });
  } finally {
    // Not delivered: give the claim back so a retry can send. A release that fails leaves a claim that expires.
    const token = claim?.token;
    if (store && token !== undefined) await bounded('release', () => store.release(key, token)).catch(() => undefined);
  }
}

/** `p`, or a rejection with `message` after `ms`. */
export function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** A delivery that is refused before any request (a URL the policy refuses, a secret that is not set): recorded, never sent. */
export function refusedDelivery(meta: { route: string; channel: Channel; notice: Notice }, reason: string, options: DeliveryOptions = {}): Promise<DeliveryRecord> {
  return deliver(meta, async () => ({ ok: false, retryable: false, error: reason }), { ...options, maxAttempts: 1 }).then((r) => ({ ...r, attempts: 0 }));
}
