/**
 * Retry timing shared by every outbound HTTP adapter (ARM through `src/azure`, Teams and Slack through
 * `src/notify`): the delay a server asks for, and the jittered back-off. Pure, no clock: callers pass `nowMs` and
 * `random`.
 *
 * `parseRetryAfter` reads the delay a server asks for before the next request.
 *
 * ARM sends `Retry-After` in seconds (e.g. `Retry-After: 17`); HTTP also allows an HTTP-date; some Azure services send
 * `retry-after-ms` or `x-ms-retry-after-ms` in milliseconds. The millisecond headers win because they are more precise.
 *
 * @example parseRetryAfter(headers({ 'retry-after': '17' }), now) === 17_000
 * @example parseRetryAfter(headers({ 'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT' }), Date.parse('Wed, 21 Oct 2015 07:27:00 GMT')) === 60_000
 */
export interface HeaderBag {
  get(name: string): string | null | undefined;
}

export function parseRetryAfter(headers: HeaderBag, nowMs: number): number | undefined {
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const ms = parseNonNegativeNumber(headers.get(name));
    if (ms !== undefined) return Math.round(ms);
  }
  const value = headers.get('retry-after');
  if (value === null || value === undefined) return undefined;
  const seconds = parseNonNegativeNumber(value);
  if (seconds !== undefined) return Math.round(seconds * 1000);
  // An HTTP-date always names a weekday and month; anything else (e.g. `-3`) is ignored rather than read as a year.
  if (!/[A-Za-z]/.test(value)) return undefined;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

function parseNonNegativeNumber(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  const n = Number(value.trim());
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** A HeaderBag over a plain record (case-insensitive), for tests and for fetch-style headers. */
export function headerBag(record: Record<string, string | undefined>): HeaderBag {
  const lower = new Map(Object.entries(record).map(([k, v]) => [k.toLowerCase(), v]));
  return { get: (name) => lower.get(name.toLowerCase()) };
}

/**
 * Back-off before attempt n + 1 after n failed ones (n is 1-based): `min(maxDelayMs, baseDelayMs · 2^(n-1))`,
 * jittered into `[½·d, d]` ("equal jitter": never zero, so a herd still spreads).
 *
 * @example backoffMs(1, { baseDelayMs: 500, maxDelayMs: 15_000 }, () => 1) === 500
 * @example backoffMs(3, { baseDelayMs: 500, maxDelayMs: 15_000 }, () => 0) === 1000
 */
export function backoffMs(attempt: number, policy: { baseDelayMs: number; maxDelayMs: number }, random: () => number): number {
  const exponential = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const jitter = Math.min(1, Math.max(0, random()));
  return Math.round(exponential / 2 + (exponential / 2) * jitter);
}
