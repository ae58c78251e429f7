// The HTTPS front door: ARM routes (auth, api-version, call counters, fault injection, throttling, Azure errors),
// the custom topic data plane at /api/events, and the admin API under /_sim/. Never lets a request crash it.
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { handleAdmin, type AdminDeps } from './admin-routes';
import { ArmError } from './arm-errors';
import { API_VERSIONS, type ArmCtx, type Reply, type Route } from './arm-router';
import type { EventGrid } from './event-grid';
import type { Faults } from './faults';
import { galleryRoutes } from './gallery-routes';
import { graphRoutes } from './graph-routes';
import { imageBuilderRoutes, operationRoutes } from './imagebuilder-routes';
import type { Simulation } from './simulation';
import type { Throttler } from './throttle';
import { monitorRoutes } from './monitor';
import { subscriptionRoutes } from './subscription-routes';
import { vmssRoutes } from './vmss-routes';

const ROUTES: Route[] = [...galleryRoutes, ...vmssRoutes, ...graphRoutes, ...imageBuilderRoutes, ...monitorRoutes, ...subscriptionRoutes, ...operationRoutes];
const MAX_BODY = 4 * 1024 * 1024;

export interface ServerDeps {
  sim: Simulation;
  faults: Faults;
  eventGrid: EventGrid;
  throttler: Throttler;
  calls: Record<string, number>;
  cert: { certPem: string; keyPem: string; caPem: string; caPath: string };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new ArmError(413, 'RequestEntityTooLarge', 'The request content is larger than 4 MB.'));
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export class SimServer {
  readonly server: https.Server;
  url = '';
  private requestSeq = 0;

  constructor(private readonly d: ServerDeps) {
    this.server = https.createServer({ cert: d.cert.certPem, key: d.cert.keyPem, keepAliveTimeout: 5_000 }, (req, res) => {
      this.handle(req, res).catch((e: unknown) => this.fail(res, e));
    });
    this.server.on('clientError', (_e, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{"error":{"code":"BadRequest","message":"Malformed HTTP request."}}');
      else socket.destroy();
    });
  }

  async listen(port: number, host = '127.0.0.1'): Promise<number> {
    if (host !== '127.0.0.1' && host !== '::1' && host !== 'localhost') throw new Error(`ringmaster sim binds loopback only, not ${host}`);
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    const addr = this.server.address();
    const actual = typeof addr === 'object' && addr ? addr.port : port;
    this.url = `https://127.0.0.1:${actual}`;
    return actual;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private nextRequestId(): string {
    const n = (++this.requestSeq).toString(16).padStart(12, '0');
    return `00000000-0000-4000-8000-${n}`;
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
    if (res.headersSent) return;
    const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
    const h: Record<string, string> = { ...headers };
    if (text && !Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['Content-Type'] = 'application/json; charset=utf-8';
    h['Content-Length'] = String(Buffer.byteLength(text));
    res.writeHead(status, h);
    res.end(text);
  }

  private fail(res: ServerResponse, e: unknown, headers: Record<string, string> = {}): void {
    if (e instanceof ArmError) {
      this.send(res, e.status, e.body(), { ...headers, ...(e.extra.headers ?? {}), 'x-ms-failure-cause': e.status >= 500 ? 'service' : 'gateway' });
      return;
    }
    const message = e instanceof Error ? e.message : String(e);
    this.send(res, 500, { error: { code: 'InternalServerError', message: `The simulator hit an unexpected error: ${message}` } }, headers);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = this.nextRequestId();
    const correlationId = (req.headers['x-ms-correlation-request-id'] as string | undefined) ?? requestId;
    const clientRequestId = (req.headers['x-ms-client-request-id'] as string | undefined) ?? requestId;
    const base: Record<string, string> = { 'x-ms-request-id': requestId, 'x-ms-correlation-request-id': correlationId, 'x-ms-client-request-id': clientRequestId };
    const method = (req.method ?? 'GET').toUpperCase();
    // `//subscriptions/…` (a client that joins `/{resourceUri}` with an id that starts with a slash) is a path,
    // not a host: collapse the leading slashes before URL parsing would read it as one.
    const url = new URL((req.url ?? '/').replace(/^\/{2,}/, '/'), 'https://127.0.0.1');
    let path: string;
    try {
      path = decodeURIComponent(url.pathname).replace(/\/{2,}/g, '/');
    } catch {
      return this.fail(res, new ArmError(400, 'InvalidRequestUri', `The request URI '${url.pathname}' is not valid.`), base);
    }
    let raw: string;
    try {
      raw = await readBody(req);
    } catch (e) {
      return this.fail(res, e, base);
    }

    if (path === '/_sim' || path.startsWith('/_sim/')) {
      let body: unknown;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        return this.send(res, 400, { error: { code: 'InvalidRequestContent', message: 'The request body is not valid JSON.' } }, base);
      }
      const deps: AdminDeps = { ...this.d, url: this.url, caPem: this.d.cert.caPem, caPath: this.d.cert.caPath };
      const r = await handleAdmin(deps, method, path, url.searchParams, body);
      if (r.text !== undefined) return this.send(res, r.status, r.text, { ...base, 'Content-Type': 'application/x-pem-file' });
      return this.send(res, r.status, r.body, base);
    }

    if (path.toLowerCase() === '/api/events') return this.customTopic(req, res, method, url, raw, base);

    const candidates = ROUTES.filter((r) => r.pattern.test(path));
    const route = candidates.find((r) => r.method === method);
    if (!route) {
      if (candidates.length > 0) {
        return this.send(res, 405, { error: { code: 'MethodNotAllowed', message: `The requested resource does not support http method '${method}'.` } }, base);
      }
      const ns = /\/providers\/([^/]+)\/([^/]+)/i.exec(path);
      return this.fail(
        res,
        ns
          ? new ArmError(404, 'InvalidResourceType', `The resource type '${ns[2] ?? ''}' could not be found in the namespace '${ns[1] ?? ''}' for api version '${url.searchParams.get('api-version') ?? ''}'.`)
          : new ArmError(404, 'NotFound', `No HTTP resource was found that matches the request URI '${path}'.`),
        base,
      );
    }
    const auth = req.headers.authorization;
    if (!auth || !/^Bearer\s+\S+/i.test(auth)) {
      return this.fail(res, new ArmError(401, 'AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing or is not a Bearer token.", {
        headers: { 'WWW-Authenticate': `Bearer authorization_uri="https://login.microsoftonline.com/${this.d.sim.state.tenantId}", error="invalid_token", error_description="The authentication failed because of missing 'Authorization' header."` },
      }), base);
    }
    const apiVersion = url.searchParams.get('api-version');
    const supported = API_VERSIONS[route.api];
    if (apiVersion === null || apiVersion === '') {
      return this.fail(res, new ArmError(400, 'MissingApiVersionParameter', "The api-version query parameter (?api-version=) is required for all requests."), base);
    }
    if (!supported.includes(apiVersion)) {
      return this.fail(
        res,
        new ArmError(400, 'InvalidApiVersionParameter', `The api-version '${apiVersion}' is invalid. The supported versions are '${supported.join(',')}'.`),
        base,
      );
    }
    this.d.calls[route.op] = (this.d.calls[route.op] ?? 0) + 1;
    const params = (route.pattern.exec(path) ?? []).slice(1).map((s) => s ?? '');
    const fault = this.d.faults.forOperation(route.op);
    if (fault.latencyMs > 0) await sleep(fault.latencyMs);
    if (fault.failure) {
      const f = fault.failure;
      if (f.kind === 'throttle') {
        const ra = String(f.retryAfterSeconds ?? 1);
        return this.fail(res, new ArmError(429, 'TooManyRequests', `The request is being throttled (injected fault). Retry after ${ra} seconds.`, { headers: { 'Retry-After': ra } }), base);
      }
      const status = f.status ?? 500;
      return this.fail(res, new ArmError(status, f.code ?? (status >= 500 ? 'InternalServerError' : 'BadRequest'), `Injected fault on ${route.op}.`), base);
    }
    const subscriptionId = /^\/subscriptions\/([^/]+)/i.exec(path)?.[1] ?? this.d.sim.state.subscriptionId;
    const setPath = route.rollingStatus ? path.replace(/\/rollingUpgrades\/latest\/?$/i, '') : undefined;
    const t = this.d.throttler.check(subscriptionId, route.kind, setPath);
    const headers = { ...base, ...t.headers };
    if (!t.ok) {
      return this.fail(res, new ArmError(429, 'TooManyRequests', `The request is being throttled as the limit has been reached for operation ${route.op}. Retry after ${t.retryAfterSeconds} seconds.`, {
        headers: { 'Retry-After': String(t.retryAfterSeconds) },
      }), headers);
    }
    let body: unknown;
    if (raw.trim() !== '') {
      try {
        body = JSON.parse(raw);
      } catch (e) {
        return this.fail(res, new ArmError(400, 'InvalidRequestContent', `The request content was invalid and could not be deserialized: '${(e as Error).message}'.`), headers);
      }
    }
    const ctx: ArmCtx = {
      sim: this.d.sim,
      baseUrl: this.url,
      throttler: this.d.throttler,
      params,
      query: url.searchParams,
      body,
      method,
      path,
      apiVersion,
      request: { method, url: `${this.url}${req.url ?? ''}`, clientRequestId, correlationId },
    };
    let reply: Reply;
    try {
      reply = route.handler(ctx);
    } catch (e) {
      return this.fail(res, e, headers);
    }
    this.send(res, reply.status, reply.body, { ...headers, ...(reply.headers ?? {}) });
  }

  private customTopic(req: IncomingMessage, res: ServerResponse, method: string, url: URL, raw: string, base: Record<string, string>): void {
    if (method !== 'POST') return this.send(res, 405, { error: { code: 'MethodNotAllowed', message: `The topic endpoint accepts POST only.` } }, base);
    const key = req.headers['aeg-sas-key'];
    if (key !== this.d.eventGrid.topicKey) {
      return this.send(res, 401, { error: { code: 'Unauthorized', message: "The request authorization key is not authorized for this topic. Send the topic key in the 'aeg-sas-key' header." } }, base);
    }
    if (url.searchParams.get('api-version') !== '2018-01-01') {
      return this.send(res, 400, { error: { code: 'BadRequest', message: `The api-version '${url.searchParams.get('api-version') ?? ''}' is not supported; use 2018-01-01.` } }, base);
    }
    let payload: unknown;
    try {
      payload = JSON.parse(raw);
    } catch {
      return this.send(res, 400, { error: { code: 'BadRequest', message: 'The request body is not valid JSON.' } }, base);
    }
    this.d.calls['EventGrid_Publish'] = (this.d.calls['EventGrid_Publish'] ?? 0) + 1;
    const r = this.d.eventGrid.publishCustom(payload, String(req.headers['content-type'] ?? 'application/json'));
    if ('error' in r) return this.send(res, 400, { error: { code: 'BadRequest', message: r.error } }, base);
    this.send(res, 200, undefined, base);
  }
}
