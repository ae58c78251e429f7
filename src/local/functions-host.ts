/**
 * The local runtime: hosts the app's registered functions at the Functions host's URL shapes, on loopback.
 *  - POST /runtime/webhooks/eventgrid?functionName=NAME&code=SYSTEMKEY — Event Grid deliveries
 *    (`aeg-event-type: SubscriptionValidation` answered with `validationResponse`; `Notification`
 *    delivered; CloudEvents abuse protection: OPTIONS with WebHook-Request-Origin). Deliveries before the
 *    subscription's handshake are refused; malformed deliveries get 400 and touch nothing.
 *  - /api/<route> — HTTP triggers, with the function key (x-functions-key header or ?code=) where the
 *    registration says authLevel 'function'.
 *  - timers on the host clock (NCRONTAB with seconds, resolved from %SETTING% names, via croner);
 *  - orchestrations and activities in the local durable host, persisted under the state dir.
 */
import { HttpRequest, InvocationContext } from '@azure/functions';
import { Cron } from 'croner';
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { parseEvents } from '../azure/event-parsing';
import { ORCHESTRATOR, SIGNAL } from '../app/release-orchestrator';
import type { ReleaseInstance, ReleaseRuntime } from '../app/release-runtime';
import type { ReleaseSummary } from '../app/release-summary';
import type { AppDeps } from '../app/wiring';
import { installLocalHost } from '../functions/deps';
import type { HostClock } from './clock';
import { DurableHost, type InstanceRecord } from './durable-host';
import { installFunctionsCoreStandIn, type Registration } from './functions-core-standin';

export interface LocalHostOptions {
  port?: number;
  /** Loopback unless `allowRemote` (then any address the caller passes). */
  host?: string;
  allowRemote?: boolean;
  clock: HostClock;
  stateDir: string;
  /** Key for authLevel 'function' routes (the host's default key: every function). */
  functionKey: string;
  /** Function-level keys, as Azure has them: each authorizes only its function (e.g. `{ onAlert: KEY }`). */
  functionKeys?: Record<string, string>;
  /** Key Event Grid must present on the webhook URL (`code=`), like the host's eventgrid_extension key. */
  systemKey: string;
  /** Settings for %NAME% resolution in trigger properties. */
  settings: Record<string, string | undefined>;
  deps: AppDeps;
  /** Loads the app (requires its entry module) after the stand-in and the local bindings are installed. */
  loadApp: () => void;
  log?: (message: string) => void;
  /** Turn off timers (tests drive the watcher themselves). */
  timers?: boolean;
}

export interface LocalHost {
  url: string;
  port: number;
  durable: DurableHost;
  runtime: ReleaseRuntime;
  registrations: Registration[];
  /** Resolves when no timer handler runs and the durable host has nothing left to do. */
  whenIdle(): Promise<void>;
  close(): Promise<void>;
}

export async function startLocalHost(options: LocalHostOptions): Promise<LocalHost> {
  const log = options.log ?? (() => {});
  const host = options.host ?? '127.0.0.1';
  if (!options.allowRemote && !['127.0.0.1', 'localhost', '::1'].includes(host)) {
    throw new Error(`refusing to listen on ${host}: the local runtime binds loopback only unless told otherwise (--allow-remote)`);
  }
  const registrations = installFunctionsCoreStandIn();
  const durable = new DurableHost({ stateDir: join(options.stateDir, 'durable'), clock: options.clock, log });
  const runtime = localRuntime(durable);
  installLocalHost({ deps: options.deps, runtime });
  if (registrations.length === 0) options.loadApp();
  for (const r of registrations) {
    if (r.trigger.type === 'orchestrationTrigger') durable.registerOrchestrator(r.name, r.handler);
    if (r.trigger.type === 'activityTrigger') durable.registerActivity(r.name, r.handler);
  }
  const resumed = durable.resume();
  if (resumed > 0) log(`resumed ${resumed} running release(s) from ${options.stateDir}`);

  const validated = new ValidatedWebhooks(join(options.stateDir, 'webhooks.json'));
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log(`local host: ${req.method} ${req.url}: ${String(err)}`);
      if (!res.headersSent) send(res, 500, { error: { code: 'InternalError', message: 'the function failed; see the log' } });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const body = await readBody(req, 1_048_576);
    if (body === undefined) return send(res, 413, { error: { code: 'PayloadTooLarge', message: 'deliveries are limited to 1 MiB, as Event Grid limits them' } });
    if (url.pathname === '/runtime/webhooks/eventgrid') return eventGridWebhook(req, res, url, body);
    if (url.pathname.startsWith('/api/')) return httpTrigger(req, res, url, body);
    send(res, 404, { error: { code: 'NotFound', message: `no route for ${url.pathname}` } });
  }

  async function eventGridWebhook(req: IncomingMessage, res: ServerResponse, url: URL, body: string): Promise<void> {
    const name = url.searchParams.get('functionName') ?? '';
    const fn = registrations.find((r) => r.name === name && r.trigger.type === 'eventGridTrigger');
    if (!fn) return send(res, 404, { error: { code: 'FunctionNotFound', message: `no Event Grid function named "${name}"` } });
    if (!keyMatches(url.searchParams.get('code') ?? '', options.systemKey)) return send(res, 401, { error: { code: 'Unauthorized', message: 'missing or wrong system key (code=)' } });
    if (req.method === 'OPTIONS') {
      const origin = header(req, 'webhook-request-origin');
      if (!origin) return send(res, 400, { error: { code: 'BadHandshake', message: 'CloudEvents abuse protection needs WebHook-Request-Origin' } });
      validated.add(name);
      res.writeHead(200, { 'WebHook-Allowed-Origin': origin, 'WebHook-Allowed-Rate': '*' });
      return void res.end();
    }
    if (req.method !== 'POST') return send(res, 405, { error: { code: 'MethodNotAllowed', message: 'POST or OPTIONS' } });
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch (err) {
      return send(res, 400, { error: { code: 'InvalidJson', message: `the body is not JSON: ${(err as Error).message}` } });
    }
    const parsed = parseEvents(Array.isArray(json) ? json : [json]);
    if (!parsed.ok) return send(res, 400, { error: { code: 'InvalidEvent', message: parsed.errors.join('; '), details: parsed.errors } });
    const kind = header(req, 'aeg-event-type');
    if (kind === 'SubscriptionValidation') {
      const v = parsed.value.find((e) => e.kind === 'subscription-validation');
      if (!v || v.kind !== 'subscription-validation') return send(res, 400, { error: { code: 'BadHandshake', message: 'no SubscriptionValidationEvent in the body' } });
      validated.add(name);
      return send(res, 200, { validationResponse: v.validationCode });
    }
    if (!validated.has(name)) return send(res, 403, { error: { code: 'NotValidated', message: `the subscription to ${name} has not completed the validation handshake` } });
    const context = invocationContext(name, log);
    for (const event of Array.isArray(json) ? json : [json]) await fn.handler(event, context);
    send(res, 200, { delivered: parsed.value.length });
  }

  async function httpTrigger(req: IncomingMessage, res: ServerResponse, url: URL, body: string): Promise<void> {
    const path = url.pathname.slice('/api/'.length);
    const method = req.method ?? 'GET';
    for (const r of registrations) {
      if (r.trigger.type !== 'httpTrigger') continue;
      const params = matchRoute(String(r.trigger.route ?? r.name), path);
      if (!params) continue;
      const methods = (r.trigger.methods as string[] | undefined) ?? ['GET', 'POST'];
      if (!methods.includes(method)) continue;
      // Which key was checked is passed on as x-ringmaster-key-name (a client's own copy is dropped): the operator
      // API records it as the actor. A function-level key authorizes its function only.
      let keyName: string | undefined;
      if (r.trigger.authLevel !== 'anonymous') {
        const key = header(req, 'x-functions-key') ?? url.searchParams.get('code') ?? '';
        const own = options.functionKeys?.[r.name];
        keyName = keyMatches(key, options.functionKey) ? 'default' : own !== undefined && keyMatches(key, own) ? `${r.name}:default` : undefined;
        if (!keyName) return send(res, 401, { error: { code: 'Unauthorized', message: 'missing or wrong function key (x-functions-key header or code= query)' } });
      }
      const request = new HttpRequest({
        method,
        url: `http://${host}:${port}${url.pathname}${url.search}`,
        headers: {
          ...Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'x-ringmaster-key-name').map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')])),
          ...(keyName ? { 'x-ringmaster-key-name': keyName } : {}),
        },
        query: Object.fromEntries(url.searchParams),
        params,
        ...(body ? { body: { string: body } } : {}),
      });
      const out = (await r.handler(request, invocationContext(r.name, log))) as { status?: number; jsonBody?: unknown; body?: string; headers?: Record<string, string> };
      const headers = { ...(out.headers ?? {}) };
      if (out.jsonBody !== undefined) return send(res, out.status ?? 200, out.jsonBody, headers);
      res.writeHead(out.status ?? 200, headers);
      return void res.end(out.body ?? '');
    }
    send(res, 404, { error: { code: 'NotFound', message: `no function serves ${method} /api/${path}` } });
  }

  const timerCancels: (() => void)[] = [];
  let closed = false;
  // Timer handlers in flight (the watcher): a lockstep driver must not move the clock under them.
  let timersRunning = 0;
  const timerWaiters: (() => void)[] = [];
  const timersIdle = async (): Promise<void> => {
    while (timersRunning > 0) await new Promise<void>((resolve) => timerWaiters.push(resolve));
  };
  if (options.timers !== false) {
    for (const r of registrations.filter((x) => x.trigger.type === 'timerTrigger')) {
      const schedule = resolveSetting(String(r.trigger.schedule), options.settings);
      const cron = new Cron(schedule, { paused: true, timezone: 'UTC' });
      const arm = () => {
        if (closed) return;
        const next = cron.nextRun(options.clock.now());
        if (!next) return;
        timerCancels.push(
          options.clock.setTimer(next, () => {
            timersRunning++;
            Promise.resolve(r.handler({ isPastDue: false, scheduleStatus: { last: next.toISOString() } }, invocationContext(r.name, log)))
              .catch((err: unknown) => log(`timer ${r.name} failed: ${String(err)}`))
              .finally(() => {
                timersRunning--;
                arm();
                for (const resolve of timerWaiters.splice(0)) resolve();
              });
          }),
        );
      };
      arm();
    }
  }

  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      const a = server.address();
      resolve(a && typeof a === 'object' ? a.port : 0);
    });
  });
  return {
    url: `http://${host}:${port}`,
    port,
    durable,
    runtime,
    registrations,
    whenIdle: async () => {
      await timersIdle();
      await durable.whenIdle();
    },
    close: async () => {
      closed = true;
      for (const cancel of timerCancels) cancel();
      durable.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** ReleaseRuntime over the local durable host. */
export function localRuntime(durable: DurableHost): ReleaseRuntime {
  return {
    start: async (id, input) => durable.start(ORCHESTRATOR, id, input),
    signal: async (id, event) => durable.raiseEvent(id, SIGNAL, event),
    get: async (id) => {
      const r = durable.get(id);
      return r ? toInstance(r) : undefined;
    },
    list: async (filter) => durable.list().filter((r) => !filter?.active || r.status === 'Running').map(toInstance),
    purge: async (createdBefore) => durable.purge(createdBefore),
  };
}

function toInstance(r: InstanceRecord): ReleaseInstance {
  return {
    instanceId: r.instanceId,
    status: r.status,
    createdTime: r.createdTime,
    lastUpdatedTime: r.lastUpdatedTime,
    ...(r.customStatus ? { summary: r.customStatus as ReleaseSummary } : {}),
  };
}

/** Remembers which Event Grid functions completed a validation handshake (persisted: a restart keeps them). */
class ValidatedWebhooks {
  private readonly names: Set<string>;
  constructor(private readonly file: string) {
    this.names = new Set(existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as string[]) : []);
  }
  has(name: string): boolean {
    return this.names.has(name);
  }
  add(name: string): void {
    if (this.names.has(name)) return;
    this.names.add(name);
    mkdirSync(join(this.file, '..'), { recursive: true });
    writeFileSync(this.file, JSON.stringify([...this.names]));
  }
}

/** 'releases/{id}/{action}' against 'releases/abc/pause' → { id: 'abc', action: 'pause' }. */
export function matchRoute(template: string, path: string): Record<string, string> | undefined {
  const t = template.split('/').filter(Boolean);
  const p = path.split('/').filter(Boolean);
  if (t.length !== p.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < t.length; i++) {
    const m = /^\{(\w+)\??\}$/.exec(t[i]!);
    if (m) params[m[1]!] = decodeURIComponent(p[i]!);
    else if (t[i]!.toLowerCase() !== p[i]!.toLowerCase()) return undefined;
  }
  return params;
}

export function resolveSetting(value: string, settings: Record<string, string | undefined>): string {
  return value.replace(/%([A-Za-z0-9_]+)%/g, (_, name: string) => {
    const v = settings[name];
    if (v === undefined) throw new Error(`setting ${name} is not set (needed by a trigger)`);
    return v;
  });
}

function invocationContext(functionName: string, log: (m: string) => void): InvocationContext {
  return new InvocationContext({
    functionName,
    invocationId: randomUUID(),
    logHandler: (level, ...args) => log(`[${functionName}] ${level}: ${args.map(String).join(' ')}`),
  });
}

function keyMatches(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) over = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(over ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
