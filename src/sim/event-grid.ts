// Event Grid: webhook subscriptions to the subscription's system topic or the custom topic, delivered as
// Event Grid does it: validation handshake first, then Notification deliveries, at least once, with retries
// and back-off on the virtual clock, and a dead-letter record for 4xx answers (except 408 and 429).
import http from 'node:http';
import https from 'node:https';
import { z } from 'zod';
import type { Faults } from './faults';
import type { Simulation } from './simulation';
import { toCloudEvent, toEventGridSchema, type SimEvent } from './system-events';
import { keyedRandom } from './prng';

export const subscriptionSpec = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9-]{3,64}$/, '3-64 letters, digits or hyphens'),
  endpoint: z.string().url(),
  schema: z.enum(['EventGridSchema', 'CloudEventSchemaV1_0']).default('EventGridSchema'),
  /** 'system' (the subscription's Microsoft.Resources events) or 'custom' (the custom topic at /api/events). */
  topic: z.enum(['system', 'custom']).default('system'),
  includedEventTypes: z.array(z.string()).optional(),
  subjectBeginsWith: z.string().optional(),
  subjectEndsWith: z.string().optional(),
  maxDeliveryAttempts: z.number().int().min(1).max(30).default(10),
  /** Skip the validation handshake (for endpoints that cannot answer it). */
  skipValidation: z.boolean().default(false),
});
export type SubscriptionInput = z.input<typeof subscriptionSpec>;
export type WebhookSubscription = z.infer<typeof subscriptionSpec> & { validated: boolean; createdAt: string };

export interface DeliveryRecord {
  subscription: string;
  eventId: string;
  eventType: string;
  attempt: number;
  time: string;
  status: number | 'error';
  outcome: 'delivered' | 'retrying' | 'dead-lettered' | 'dropped' | 'gave-up';
  error?: string;
}
export interface DeadLetter {
  subscription: string;
  event: Record<string, unknown>;
  reason: string;
  deliveryAttempts: number;
  lastHttpStatus: number | 'error';
  time: string;
}

/** Event Grid's retry schedule (seconds after each failed attempt). */
const BACKOFF_S = [10, 30, 60, 300, 600, 1800, 3600];

export interface PostResult {
  status: number | 'error';
  headers: http.IncomingHttpHeaders;
  body: string;
  error?: string;
}

export function send(url: string, method: string, headers: Record<string, string>, body: string | undefined): Promise<PostResult> {
  return new Promise((resolve) => {
    const u = new URL(url);
    const mod = u.protocol === 'https:' ? https : http;
    const req = mod.request(u, { method, headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) }, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (e) => resolve({ status: 'error', headers: {}, body: '', error: e.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (e) => resolve({ status: 'error', headers: {}, body: '', error: e.message }));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export class EventGrid {
  readonly subs = new Map<string, WebhookSubscription>();
  readonly log: DeliveryRecord[] = [];
  readonly deadLetters: DeadLetter[] = [];
  private readonly inflight = new Set<Promise<unknown>>();
  private closed = false;
  topicName = 'ringmaster-events';
  topicKey: string;

  constructor(
    private readonly sim: Simulation,
    private readonly faults: Faults,
  ) {
    this.topicKey = `sim-key-${sim.ids.uuid().replaceAll('-', '')}`;
    sim.listeners.push((e) => this.onEvent(e));
  }

  get topicId(): string {
    return `/subscriptions/${this.sim.state.subscriptionId}/resourceGroups/rg-ringmaster/providers/Microsoft.EventGrid/topics/${this.topicName}`;
  }

  async addSubscription(input: SubscriptionInput): Promise<WebhookSubscription> {
    const spec = subscriptionSpec.parse(input);
    const sub: WebhookSubscription = { ...spec, validated: false, createdAt: this.sim.clock.now().toISOString() };
    if (!spec.skipValidation) await this.handshake(sub);
    sub.validated = true;
    this.subs.set(sub.name.toLowerCase(), sub);
    return sub;
  }

  remove(name: string): boolean {
    return this.subs.delete(name.toLowerCase());
  }

  private async handshake(sub: WebhookSubscription): Promise<void> {
    if (sub.schema === 'CloudEventSchemaV1_0') {
      const origin = 'eventgrid.azure.net';
      const r = await send(sub.endpoint, 'OPTIONS', { 'WebHook-Request-Origin': origin, 'WebHook-Request-Rate': '120' }, undefined);
      const allowed = r.headers['webhook-allowed-origin'];
      if (r.status !== 200 || (allowed !== origin && allowed !== '*')) {
        throw new Error(`Webhook validation handshake failed for ${sub.endpoint}: OPTIONS returned ${String(r.status)} with WebHook-Allowed-Origin '${String(allowed ?? '')}' (expected ${origin}). ${r.error ?? ''}`.trim());
      }
      return;
    }
    const code = this.sim.ids.uuid().toUpperCase();
    const event = {
      id: this.sim.ids.uuid(),
      topic: sub.topic === 'system' ? `/subscriptions/${this.sim.state.subscriptionId}` : this.topicId,
      subject: '',
      data: { validationCode: code, validationUrl: `https://rp-eastus.eventgrid.azure.net/eventsubscriptions/${sub.name}/validate?id=${code}` },
      eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
      eventTime: this.sim.clock.now().toISOString(),
      metadataVersion: '1',
      dataVersion: '2',
    };
    const r = await send(sub.endpoint, 'POST', { 'content-type': 'application/json', 'aeg-event-type': 'SubscriptionValidation' }, JSON.stringify([event]));
    let answered: unknown;
    try {
      answered = (JSON.parse(r.body) as { validationResponse?: unknown }).validationResponse;
    } catch {
      answered = undefined;
    }
    if (r.status !== 200 || answered !== code) {
      throw new Error(`Webhook validation handshake failed for ${sub.endpoint}: got ${String(r.status)} ${r.body.slice(0, 200)} (expected 200 with {"validationResponse":"${code}"}). ${r.error ?? ''}`.trim());
    }
  }

  private matches(sub: WebhookSubscription, e: SimEvent): boolean {
    if ((sub.topic === 'system') !== (e.channel === 'system')) return false;
    if (sub.includedEventTypes && !sub.includedEventTypes.some((t) => t.toLowerCase() === e.eventType.toLowerCase())) return false;
    if (sub.subjectBeginsWith && !e.subject.toLowerCase().startsWith(sub.subjectBeginsWith.toLowerCase())) return false;
    if (sub.subjectEndsWith && !e.subject.toLowerCase().endsWith(sub.subjectEndsWith.toLowerCase())) return false;
    return true;
  }

  onEvent(e: SimEvent): void {
    if (this.closed) return;
    for (const sub of this.subs.values()) {
      if (!this.matches(sub, e)) continue;
      const fault = this.faults.forEvent(e.eventType);
      if (fault?.kind === 'drop') {
        this.record(sub, e, 0, 'error', 'dropped', 'dropped by fault injection');
        continue;
      }
      if (fault?.kind === 'reorder') {
        this.sim.clock.after((fault.delaySeconds ?? 60) * 1000 + this.latencyMs(sub, e, 0), `reordered ${e.id}`, () => this.attempt(sub, e, 1));
        continue;
      }
      this.firstAttempt(sub, e, 0);
      if (fault?.kind === 'duplicate') this.firstAttempt(sub, e, 1);
    }
  }

  /** Delivery latency of one copy of an event to one subscription: `behaviour.eventLatency` + seeded jitter. */
  private latencyMs(sub: WebhookSubscription, e: SimEvent, copy: number): number {
    const b = this.sim.behaviour;
    return b.eventLatencyMs + (b.eventLatencyJitterMs > 0 ? Math.round(b.eventLatencyJitterMs * keyedRandom(this.sim.seed, `eg|${sub.name}|${e.id}|${copy}`)) : 0);
  }

  private firstAttempt(sub: WebhookSubscription, e: SimEvent, copy: number): void {
    const wait = this.latencyMs(sub, e, copy);
    if (wait > 0) this.sim.clock.after(wait, `deliver ${e.id}`, () => this.attempt(sub, e, 1));
    else this.attempt(sub, e, 1);
  }

  private payload(sub: WebhookSubscription, e: SimEvent): { body: string; contentType: string } {
    if (sub.schema === 'CloudEventSchemaV1_0') return { body: JSON.stringify(toCloudEvent(e)), contentType: 'application/cloudevents+json; charset=utf-8' };
    return { body: JSON.stringify([toEventGridSchema(e)]), contentType: 'application/json' };
  }

  private record(sub: WebhookSubscription, e: SimEvent, attempt: number, status: number | 'error', outcome: DeliveryRecord['outcome'], error?: string): void {
    const rec: DeliveryRecord = { subscription: sub.name, eventId: e.id, eventType: e.eventType, attempt, time: this.sim.clock.now().toISOString(), status, outcome };
    if (error !== undefined) rec.error = error;
    this.log.push(rec);
    if (this.log.length > 10_000) this.log.splice(0, this.log.length - 10_000);
  }

  private attempt(sub: WebhookSubscription, e: SimEvent, attempt: number): void {
    if (this.closed || !this.subs.has(sub.name.toLowerCase())) return;
    const { body, contentType } = this.payload(sub, e);
    const p = send(sub.endpoint, 'POST', {
      'content-type': contentType,
      'aeg-event-type': 'Notification',
      'aeg-subscription-name': sub.name.toUpperCase(),
      'aeg-delivery-count': String(attempt - 1),
      'aeg-data-version': e.dataVersion,
      'aeg-metadata-version': '1',
    }, body).then((r) => {
      if (this.closed) return;
      const s = r.status;
      if (typeof s === 'number' && s >= 200 && s < 300) return this.record(sub, e, attempt, s, 'delivered');
      const permanent = typeof s === 'number' && s >= 400 && s < 500 && s !== 408 && s !== 429;
      if (permanent || attempt >= sub.maxDeliveryAttempts) {
        this.record(sub, e, attempt, s, permanent ? 'dead-lettered' : 'gave-up', r.error ?? r.body.slice(0, 200));
        this.deadLetters.push({
          subscription: sub.name,
          event: sub.schema === 'CloudEventSchemaV1_0' ? toCloudEvent(e) : toEventGridSchema(e),
          reason: permanent ? 'DeliveryFailedWithPermanentError' : 'MaxDeliveryAttemptsExceeded',
          deliveryAttempts: attempt,
          lastHttpStatus: s,
          time: this.sim.clock.now().toISOString(),
        });
        return;
      }
      this.record(sub, e, attempt, s, 'retrying', r.error ?? r.body.slice(0, 200));
      const wait = (BACKOFF_S[attempt - 1] ?? 3600) * 1000;
      this.sim.clock.after(wait, `redeliver ${e.id}`, () => this.attempt(sub, e, attempt + 1));
    });
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  /** Whether a delivery is on the wire now. */
  delivering(): boolean {
    return this.inflight.size > 0;
  }

  /** Waits until no delivery is on the wire (tests). */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
  }

  /** Accepts a custom-topic publish (Event Grid schema array or CloudEvents) and fans it out. */
  publishCustom(payload: unknown, contentType: string): { accepted: number } | { error: string } {
    const items = Array.isArray(payload) ? payload : [payload];
    if (items.length === 0) return { error: 'The request body must contain at least one event.' };
    const events: SimEvent[] = [];
    for (const [i, raw] of items.entries()) {
      if (raw === null || typeof raw !== 'object') return { error: `Event at index ${i} is not a JSON object.` };
      const o = raw as Record<string, unknown>;
      const cloud = contentType.includes('cloudevents') || o.specversion !== undefined;
      const need = cloud ? ['specversion', 'id', 'source', 'type'] : ['id', 'subject', 'eventType', 'eventTime', 'data', 'dataVersion'];
      const missing = need.filter((k) => o[k] === undefined || o[k] === null);
      if (missing.length) return { error: `Event at index ${i} is missing required property '${missing[0] ?? ''}'.` };
      if (cloud && o.specversion !== '1.0') return { error: `Event at index ${i} has specversion '${String(o.specversion)}'; only 1.0 is supported.` };
      events.push({
        id: String(o.id),
        topic: cloud ? String(o.source) : this.topicId,
        subject: String(o.subject ?? ''),
        eventType: String(cloud ? o.type : o.eventType),
        eventTime: String(cloud ? (o.time ?? this.sim.clock.now().toISOString()) : o.eventTime),
        data: o.data ?? o.data_base64 ?? null,
        dataVersion: String(o.dataVersion ?? ''),
        metadataVersion: '1',
        channel: 'custom',
      });
    }
    for (const e of events) this.sim.publish(e);
    return { accepted: events.length };
  }

  close(): void {
    this.closed = true;
  }
}
