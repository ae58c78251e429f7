/**
 * The HTTP client given to `@azure/arm-resourcegraph` 4.x (an ms-rest-js client).
 *
 * Why not its default: ms-rest-js sends through node-fetch v2, which checks `signal.constructor.name ===
 * 'AbortSignal'`; once esbuild bundles the app (without `keepNames`) that class is renamed and every Resource Graph
 * call fails with "Expected signal to be an instanceof AbortSignal". This client uses `node:https` directly, with the
 * same TLS trust as the other clients (Node's roots plus the extra CA) and no retries of its own.
 */
import http from 'node:http';
import https from 'node:https';
import type { ResourceGraphClient } from '@azure/arm-resourcegraph';

type Options = NonNullable<ConstructorParameters<typeof ResourceGraphClient>[1]>;
type MsHttpClient = NonNullable<Options['httpClient']>;
type MsRequest = Parameters<MsHttpClient['sendRequest']>[0];
type MsResponse = Awaited<ReturnType<MsHttpClient['sendRequest']>>;
type MsHeaders = MsResponse['headers'];

/** Minimal `HttpHeadersLike` (case-insensitive). */
class Headers implements MsHeaders {
  private readonly map = new Map<string, { name: string; value: string }>();
  constructor(raw: Record<string, string> = {}) {
    for (const [k, v] of Object.entries(raw)) this.set(k, v);
  }
  set(name: string, value: string | number): void {
    this.map.set(name.toLowerCase(), { name, value: String(value) });
  }
  get(name: string): string | undefined {
    return this.map.get(name.toLowerCase())?.value;
  }
  contains(name: string): boolean {
    return this.map.has(name.toLowerCase());
  }
  remove(name: string): boolean {
    return this.map.delete(name.toLowerCase());
  }
  rawHeaders(): Record<string, string> {
    return Object.fromEntries([...this.map.values()].map((h) => [h.name, h.value]));
  }
  headersArray() {
    return [...this.map.values()];
  }
  headerNames(): string[] {
    return [...this.map.values()].map((h) => h.name);
  }
  headerValues(): string[] {
    return [...this.map.values()].map((h) => h.value);
  }
  clone(): Headers {
    return new Headers(this.rawHeaders());
  }
  toJson(): Record<string, string> {
    return this.rawHeaders();
  }
}

export function nodeHttpClientForResourceGraph(ca: string[] | undefined): MsHttpClient {
  const agent = new https.Agent({ keepAlive: true, ...(ca ? { ca } : {}) });
  return {
    sendRequest(request: MsRequest): Promise<MsResponse> {
      return new Promise((resolve, reject) => {
        const url = new URL(request.url);
        const body = typeof request.body === 'string' ? request.body : request.body === undefined || request.body === null ? undefined : JSON.stringify(request.body);
        const headers = request.headers.rawHeaders();
        if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
        const req = (url.protocol === 'https:' ? https : http).request(
          url,
          { method: request.method, headers, ...(url.protocol === 'https:' ? { agent } : {}), ...(request.timeout ? { timeout: request.timeout } : {}) },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('error', reject);
            res.on('end', () => {
              const raw: Record<string, string> = {};
              for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) raw[k] = Array.isArray(v) ? v.join(', ') : v;
              resolve({ request, status: res.statusCode ?? 0, headers: new Headers(raw), bodyAsText: Buffer.concat(chunks).toString('utf8') });
            });
          },
        );
        const signal = request.abortSignal;
        const onAbort = () => req.destroy(Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' }));
        if (signal?.aborted) onAbort();
        signal?.addEventListener('abort', onAbort);
        req.on('timeout', () => req.destroy(Object.assign(new Error(`request timed out after ${request.timeout} ms`), { code: 'ETIMEDOUT' })));
        req.on('error', (e) => {
          signal?.removeEventListener('abort', onAbort);
          // Present network failures the way the classifier reads them (code on a RestError-like error).
          reject(Object.assign(e, { name: e.name === 'AbortError' ? 'AbortError' : 'RestError', code: (e as NodeJS.ErrnoException).code ?? 'REQUEST_SEND_ERROR' }));
        });
        req.on('close', () => signal?.removeEventListener('abort', onAbort));
        req.end(body);
      });
    },
  };
}
