import { describe, expect, it } from 'vitest';
import {
  classifyAzureError,
  Conflict,
  Fatal,
  Forbidden,
  NotFound,
  Throttled,
  toErrorMessage,
  Transient,
} from '../../src/azure/errors';
import {
  DEFAULT_RETRY_POLICY,
  nextRetryDelay,
  withRetry,
} from '../../src/azure/retry';
import { headerBag, parseRetryAfter } from '../../src/http/retry-timing';
import { mulberry32 } from '../../src/sim/prng';

/** A stand-in with the fields of core-rest-pipeline's RestError that the classifier reads. */
function restError(statusCode: number | undefined, headers: Record<string, string> = {}, body?: unknown, code?: string) {
  const e = new Error(`status ${statusCode}`) as Error & Record<string, unknown>;
  e.name = 'RestError';
  e.statusCode = statusCode;
  if (code) e.code = code;
  e.response = { headers: headerBag(headers), bodyAsText: body === undefined ? undefined : JSON.stringify(body) };
  return e;
}

const ctx = { operation: 'gallery.getVersion', action: 'Microsoft.Compute/galleries/images/versions/read', nowMs: 0 };

describe('parseRetryAfter', () => {
  const now = Date.parse('2015-10-21T07:27:00Z');
  it.each([
    { name: 'seconds', headers: { 'Retry-After': '17' }, want: 17_000 },
    { name: 'fractional seconds', headers: { 'retry-after': '0.5' }, want: 500 },
    { name: 'HTTP date', headers: { 'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT' }, want: 60_000 },
    { name: 'date in the past', headers: { 'retry-after': 'Wed, 21 Oct 2015 07:00:00 GMT' }, want: 0 },
    { name: 'retry-after-ms wins', headers: { 'retry-after': '17', 'retry-after-ms': '250' }, want: 250 },
    { name: 'x-ms-retry-after-ms', headers: { 'x-ms-retry-after-ms': '1200' }, want: 1200 },
    { name: 'garbage', headers: { 'retry-after': 'soon' }, want: undefined },
    { name: 'negative', headers: { 'retry-after': '-3' }, want: undefined },
    { name: 'absent', headers: {}, want: undefined },
  ])('$name', ({ headers, want }) => {
    expect(parseRetryAfter(headerBag(headers), now)).toBe(want);
  });
});

describe('classifyAzureError', () => {
  it.each([
    { name: '429 → Throttled with Retry-After', err: restError(429, { 'retry-after': '7' }), cls: Throttled },
    { name: '503 + Retry-After → Throttled', err: restError(503, { 'retry-after': '3' }), cls: Throttled },
    { name: '500 → Transient', err: restError(500), cls: Transient },
    { name: '502 → Transient', err: restError(502), cls: Transient },
    { name: '408 → Transient', err: restError(408), cls: Transient },
    { name: '409 → Conflict', err: restError(409), cls: Conflict },
    { name: '412 → Conflict', err: restError(412), cls: Conflict },
    { name: '404 → NotFound', err: restError(404, {}, { error: { code: 'ResourceNotFound', message: 'gone' } }), cls: NotFound },
    { name: '403 → Forbidden', err: restError(403, {}, { error: { code: 'AuthorizationFailed', message: 'no' } }), cls: Forbidden },
    { name: '401 → Forbidden', err: restError(401), cls: Forbidden },
    { name: '400 → Fatal', err: restError(400), cls: Fatal },
    { name: 'connection reset → Transient', err: restError(undefined, {}, undefined, 'ECONNRESET'), cls: Transient },
    { name: 'REQUEST_SEND_ERROR → Transient', err: restError(undefined, {}, undefined, 'REQUEST_SEND_ERROR'), cls: Transient },
    { name: 'plain Error → Fatal', err: new Error('boom'), cls: Fatal },
    { name: 'string → Fatal', err: 'boom', cls: Fatal },
  ])('$name', ({ err, cls }) => {
    const c = classifyAzureError(err, ctx);
    expect(c).toBeInstanceOf(cls);
    expect(c.cause).toBe(err);
  });

  it('keeps Retry-After, the ARM code, and names the RBAC action on 403', () => {
    const t = classifyAzureError(restError(429, { 'retry-after': '7' }), ctx);
    expect(t).toBeInstanceOf(Throttled);
    expect((t as Throttled).retryAfterMs).toBe(7000);
    const f = classifyAzureError(restError(403, {}, { error: { code: 'AuthorizationFailed', message: 'denied' } }), ctx);
    expect(f).toBeInstanceOf(Forbidden);
    expect((f as Forbidden).action).toBe(ctx.action);
    expect(f.code).toBe('AuthorizationFailed');
    expect(f.message).toContain('Microsoft.Compute/galleries/images/versions/read');
    expect(f.message).toContain('gallery.getVersion');
  });

  it('passes already-classified errors through', () => {
    const e = new NotFound('x');
    expect(classifyAzureError(e, ctx)).toBe(e);
  });

  it('toErrorMessage handles anything', () => {
    expect(toErrorMessage(new Error('a'))).toBe('a');
    expect(toErrorMessage('b')).toBe('b');
    expect(toErrorMessage({ c: 1 })).toBe('{"c":1}');
    expect(toErrorMessage(undefined)).toBe('undefined');
  });
});

describe('nextRetryDelay', () => {
  const p = DEFAULT_RETRY_POLICY;
  it.each([
    { name: 'first transient, max jitter', attempt: 1, error: new Transient('x'), r: 1, want: { retry: true, delayMs: 500 } },
    { name: 'first transient, min jitter', attempt: 1, error: new Transient('x'), r: 0, want: { retry: true, delayMs: 250 } },
    { name: 'third transient doubles twice', attempt: 3, error: new Transient('x'), r: 1, want: { retry: true, delayMs: 2000 } },
    { name: 'throttled waits exactly Retry-After', attempt: 1, error: new Throttled('x', 17_000), r: 0.9, want: { retry: true, delayMs: 17_000 } },
    { name: 'throttled without Retry-After backs off', attempt: 2, error: new Throttled('x', undefined), r: 1, want: { retry: true, delayMs: 1000 } },
    { name: 'transient Retry-After is a floor', attempt: 1, error: new Transient('x', { retryAfterMs: 100 }), r: 1, want: { retry: true, delayMs: 500 } },
  ])('$name', ({ attempt, error, r, want }) => {
    expect(nextRetryDelay({ attempt, error }, p, () => r)).toEqual(want);
  });

  it.each([
    { name: 'not found', error: new NotFound('x') },
    { name: 'forbidden', error: new Forbidden('x', 'a') },
    { name: 'conflict', error: new Conflict('x') },
    { name: 'fatal', error: new Fatal('x') },
  ])('does not retry $name', ({ error }) => {
    expect(nextRetryDelay({ attempt: 1, error }, p).retry).toBe(false);
  });

  it('is bounded by maxAttempts and by maxRetryAfterMs', () => {
    expect(nextRetryDelay({ attempt: p.maxAttempts, error: new Transient('x') }, p).retry).toBe(false);
    expect(nextRetryDelay({ attempt: 1, error: new Throttled('x', p.maxRetryAfterMs + 1) }, p).retry).toBe(false);
  });

  it('caps the exponential back-off', () => {
    const d = nextRetryDelay({ attempt: 30, error: new Transient('x') }, { ...p, maxAttempts: 100 }, () => 1);
    expect(d).toEqual({ retry: true, delayMs: p.maxDelayMs });
  });
});

describe('withRetry', () => {
  it('retries transient failures with seeded jitter and returns the result', async () => {
    const slept: number[] = [];
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls++;
        if (calls < 3) throw restError(500);
        return 'ok';
      },
      (e) => classifyAzureError(e, ctx),
      { sleep: async (ms) => void slept.push(ms), random: mulberry32(42) },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(3);
    expect(slept).toHaveLength(2);
    expect(slept[0]).toBeGreaterThanOrEqual(250);
    expect(slept[0]).toBeLessThanOrEqual(500);
    expect(slept[1]).toBeGreaterThanOrEqual(500);
    expect(slept[1]).toBeLessThanOrEqual(1000);
  });

  it('honours Retry-After then throws the classified error when attempts run out', async () => {
    const slept: number[] = [];
    const p = withRetry(
      async () => {
        throw restError(429, { 'retry-after': '2' });
      },
      (e) => classifyAzureError(e, ctx),
      { sleep: async (ms) => void slept.push(ms), policy: { ...DEFAULT_RETRY_POLICY, maxAttempts: 3 } },
    );
    await expect(p).rejects.toBeInstanceOf(Throttled);
    expect(slept).toEqual([2000, 2000]);
  });

  it('does not retry a 404', async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw restError(404);
        },
        (e) => classifyAzureError(e, ctx),
        { sleep: async () => undefined },
      ),
    ).rejects.toBeInstanceOf(NotFound);
    expect(calls).toBe(1);
  });
});
