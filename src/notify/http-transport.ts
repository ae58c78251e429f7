/**
 * The one HTTP client of `src/notify`: POSTs JSON with a hard timeout, re-checks resolved addresses against the URL
 * policy at connect time (so DNS cannot point an allowed name at a private address), and never follows redirects.
 * `@slack/webhook` and `@slack/web-api` are given `transportFetch` as their `fetch`, so Slack goes through the same guard.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { addressAllowed, type UrlPolicy } from './url-policy';

export interface TransportOptions {
  policy: UrlPolicy;
  /** Per-attempt timeout covering connect, send and response. */
  timeoutMs: number;
  /** Extra CA certificates (PEM) to trust, e.g. a local sink's self-signed CA in tests. */
  ca?: string | string[];
}

export interface HttpResult {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A `dns.lookup` that refuses addresses the policy forbids. */
export function guardedLookup(policy: UrlPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const allowed = addresses.filter((a) => addressAllowed(a.address, policy));
      if (allowed.length === 0) {
        const refused = new Error(
          `refusing to connect: ${hostname} resolves to ${addresses.map((a) => a.address).join(', ')}`,
        ) as NodeJS.ErrnoException;
        refused.code = 'EADDRREFUSED_POLICY';
        return callback(refused, '', 0);
      }
      if (options.all) {
        (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, allowed);
      } else {
        const first = allowed[0] as LookupAddress;
        callback(null, first.address, first.family);
      }
    });
  };
}

/** POSTs `body` (a string, sent as is) and resolves with status, headers and body; rejects on network error or timeout. */
export function postRaw(
  url: URL,
  body: string,
  headers: Record<string, string>,
  options: TransportOptions,
  signal?: AbortSignal,
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const combined = signal ? anySignal([signal, timeout]) : timeout;
    if (combined.aborted) return reject(abortError(combined, options.timeoutMs));
    const isHttps = url.protocol === 'https:';
    const requestOptions: https.RequestOptions = {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body).toString(), ...headers },
      lookup: guardedLookup(options.policy),
      agent: false,
      signal: combined,
    };
    if (isHttps && options.ca !== undefined) requestOptions.ca = options.ca;
    const req = (isHttps ? https : http).request(url, requestOptions, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(res.headers)) {
          if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
        }
        resolve({ status: res.statusCode ?? 0, headers: out, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('error', (err) => reject(combined.aborted ? abortError(combined, options.timeoutMs) : err));
    req.end(body);
  });
}

/** `AbortSignal.any` (Node ≥ 20.3) with a fallback for older Node 20 releases. */
function anySignal(signals: AbortSignal[]): AbortSignal {
  if (typeof AbortSignal.any === 'function') return AbortSignal.any(signals);
  const controller = new AbortController();
  for (const s of signals) {
    if (s.aborted) {
      controller.abort(s.reason);
      break;
    }
    s.addEventListener('abort', () => controller.abort(s.reason), { once: true });
  }
  return controller.signal;
}

function abortError(signal: AbortSignal, timeoutMs: number): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return Object.assign(new Error(`timed out after ${timeoutMs} ms`), { name: 'TimeoutError' });
  }
  return reason instanceof Error ? reason : new Error('aborted');
}

/** Minimal Fetch-shaped response for `@slack/webhook` and `@slack/web-api`. */
interface MiniResponse {
  ok: boolean;
  status: number;
  statusText: string;
  url: string;
  headers: { get(name: string): string | null; entries(): Iterable<[string, string]> };
  arrayBuffer(): Promise<ArrayBuffer>;
  json(): Promise<unknown>;
  text(): Promise<string>;
}

/**
 * A `fetch` for the Slack clients over `postRaw`. `onResponse` sees every response (to read `Retry-After`, which the
 * library's error type does not keep).
 */
export function transportFetch(options: TransportOptions, onResponse?: (r: HttpResult) => void) {
  return async (
    input: string | URL,
    init?: { method?: string; headers?: Record<string, string>; body?: unknown; signal?: AbortSignal },
  ): Promise<MiniResponse> => {
    const url = typeof input === 'string' ? new URL(input) : input;
    const body = typeof init?.body === 'string' ? init.body : '';
    // Lower-cased, so the caller's content type (JSON for the webhook, a form for the Web API) replaces postRaw's default.
    const headers = Object.fromEntries(Object.entries(init?.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    const r = await postRaw(url, body, headers, options, init?.signal);
    onResponse?.(r);
    const bytes = Buffer.from(r.body, 'utf8');
    return {
      ok: r.status >= 200 && r.status < 300,
      status: r.status,
      statusText: http.STATUS_CODES[r.status] ?? '',
      url: url.toString(),
      headers: { get: (n) => r.headers[n.toLowerCase()] ?? null, entries: () => Object.entries(r.headers) },
      arrayBuffer: async () => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
      json: async () => JSON.parse(r.body) as unknown,
      text: async () => r.body,
    };
  };
}
