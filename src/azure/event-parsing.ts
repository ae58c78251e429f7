/**
 * Parses webhook bodies from Event Grid into typed events, in either schema.
 *
 * Events are hints, ARM is the truth: handlers re-read state after any of these. Unknown event types come back as
 * `{ kind: 'unhandled' }` rather than failing, because a system topic subscription may deliver more than we filter.
 * A malformed event fails with every bad field named by its path, e.g. `events[0].data.resourceUri: required`.
 */
import type { z } from 'zod';
import {
  ARM_RESOURCE_EVENT_TYPES,
  type ArmResourceEventType,
  armResourceEventDataSchema,
  cloudEventEnvelopeSchema,
  eventGridEnvelopeSchema,
  isRingmasterEventType,
  RINGMASTER_EVENT_SCHEMAS,
  type RingmasterEventData,
  type RingmasterEventType,
  SUBSCRIPTION_VALIDATION_EVENT_TYPE,
  subscriptionValidationDataSchema,
} from './event-schemas';

export type EventSchemaName = 'EventGrid' | 'CloudEvents';

interface EventCommon {
  schema: EventSchemaName;
  id: string;
  /** `eventType` (Event Grid) or `type` (CloudEvents). */
  type: string;
  /** `eventTime` or `time`, ISO 8601; absent only for CloudEvents without `time`. */
  time?: string;
  subject?: string;
  /** `topic` (Event Grid) or `source` (CloudEvents). */
  source?: string;
}

export interface ArmResourceEvent extends EventCommon {
  kind: 'arm-resource';
  type: ArmResourceEventType;
  operation: 'write' | 'action';
  outcome: 'Success' | 'Failure';
  resourceUri: string;
  operationName: string;
  resourceProvider?: string;
  subscriptionId?: string;
  tenantId?: string;
  correlationId?: string;
}

export interface SubscriptionValidationEvent extends EventCommon {
  kind: 'subscription-validation';
  validationCode: string;
  validationUrl?: string;
}

export type RingmasterEvent = {
  [T in RingmasterEventType]: EventCommon & { kind: 'ringmaster'; type: T; data: RingmasterEventData<T> };
}[RingmasterEventType];

export interface UnhandledEvent extends EventCommon {
  kind: 'unhandled';
}

export type ParsedEvent = ArmResourceEvent | SubscriptionValidationEvent | RingmasterEvent | UnhandledEvent;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; errors: string[] };

/** Formats zod issues as `path: message` lines, `path` in JS accessor form (`events[0].data.resourceUri`). */
export function formatIssues(issues: readonly z.core.$ZodIssue[], root: string): string[] {
  return issues.map((issue) => `${formatPath(root, issue.path)}: ${issue.message}`);
}

function formatPath(root: string, path: readonly PropertyKey[]): string {
  let out = root;
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$]*$/.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

/** zod per-parse error map: a missing value reads `required`, everything else keeps zod's message. */
const requiredMessage = (issue: { input?: unknown; code?: string }) =>
  issue.input === undefined && issue.code === 'invalid_type' ? 'required' : undefined;

function check<S extends z.ZodType>(schema: S, value: unknown, path: string): ParseResult<z.infer<S>> {
  const r = schema.safeParse(value, { error: requiredMessage });
  return r.success ? { ok: true, value: r.data } : { ok: false, errors: formatIssues(r.error.issues, path) };
}

/**
 * Parses one event, detecting its schema: `specversion` means CloudEvents 1.0, `eventType` means Event Grid.
 * `path` prefixes error messages (default `event`).
 */
export function parseEvent(value: unknown, path = 'event'): ParseResult<ParsedEvent> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, errors: [`${path}: must be an object`] };
  }
  if ('specversion' in value) return parseCloudEvent(value, path);
  if ('eventType' in value) return parseEventGridEvent(value, path);
  return {
    ok: false,
    errors: [`${path}: neither an Event Grid event (eventType) nor a CloudEvent (specversion)`],
  };
}

/**
 * Parses a webhook body: an array of events (Event Grid schema, or CloudEvents batch mode) or one event
 * (CloudEvents structured mode). All errors of all events are reported together.
 */
export function parseEvents(body: unknown, path = 'events'): ParseResult<ParsedEvent[]> {
  const items = Array.isArray(body) ? body : [body];
  const events: ParsedEvent[] = [];
  const errors: string[] = [];
  items.forEach((item, i) => {
    const r = parseEvent(item, Array.isArray(body) ? `${path}[${i}]` : path);
    if (r.ok) events.push(r.value);
    else errors.push(...r.errors);
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: events };
}

/** Parses text (as received by an HTTP trigger). Bad JSON is one error, not an exception. */
export function parseEventsJson(text: string, path = 'events'): ParseResult<ParsedEvent[]> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    return { ok: false, errors: [`${path}: not JSON (${e instanceof Error ? e.message : String(e)})`] };
  }
  return parseEvents(body, path);
}

function parseEventGridEvent(value: object, path: string): ParseResult<ParsedEvent> {
  const env = check(eventGridEnvelopeSchema, value, path);
  if (!env.ok) return env;
  const e = env.value;
  const common: EventCommon = { schema: 'EventGrid', id: e.id, type: e.eventType, time: e.eventTime, subject: e.subject };
  if (e.topic !== undefined) common.source = e.topic;
  return parsePayload(common, e.data, `${path}.data`);
}

function parseCloudEvent(value: object, path: string): ParseResult<ParsedEvent> {
  const env = check(cloudEventEnvelopeSchema, value, path);
  if (!env.ok) return env;
  const e = env.value;
  const common: EventCommon = { schema: 'CloudEvents', id: e.id, type: e.type, source: e.source };
  if (e.time !== undefined) common.time = e.time;
  if (e.subject !== undefined) common.subject = e.subject;
  let data: unknown = e.data;
  if (data === undefined && e.data_base64 !== undefined) {
    try {
      data = JSON.parse(Buffer.from(e.data_base64, 'base64').toString('utf8'));
    } catch {
      return { ok: false, errors: [`${path}.data_base64: not base64-encoded JSON`] };
    }
  }
  return parsePayload(common, data, `${path}.data`);
}

function parsePayload(common: EventCommon, data: unknown, path: string): ParseResult<ParsedEvent> {
  const type = common.type;
  if ((ARM_RESOURCE_EVENT_TYPES as readonly string[]).includes(type)) {
    const d = check(armResourceEventDataSchema, data, path);
    if (!d.ok) return d;
    const armType = type as ArmResourceEventType;
    const event: ArmResourceEvent = {
      ...common,
      kind: 'arm-resource',
      type: armType,
      operation: armType.includes('Write') ? 'write' : 'action',
      outcome: armType.endsWith('Failure') ? 'Failure' : 'Success',
      resourceUri: d.value.resourceUri,
      operationName: d.value.operationName,
    };
    for (const key of ['resourceProvider', 'subscriptionId', 'tenantId', 'correlationId'] as const) {
      const v = d.value[key];
      if (v !== undefined) event[key] = v;
    }
    return { ok: true, value: event };
  }
  if (type === SUBSCRIPTION_VALIDATION_EVENT_TYPE) {
    const d = check(subscriptionValidationDataSchema, data, path);
    if (!d.ok) return d;
    const event: SubscriptionValidationEvent = {
      ...common,
      kind: 'subscription-validation',
      validationCode: d.value.validationCode,
    };
    if (d.value.validationUrl !== undefined) event.validationUrl = d.value.validationUrl;
    return { ok: true, value: event };
  }
  if (isRingmasterEventType(type)) {
    const d = check(RINGMASTER_EVENT_SCHEMAS[type], data, path);
    if (!d.ok) return d;
    return { ok: true, value: { ...common, kind: 'ringmaster', type, data: d.value } as RingmasterEvent };
  }
  return { ok: true, value: { ...common, kind: 'unhandled' } };
}

/** The body Event Grid expects back from a webhook during the subscription validation handshake. */
export function validationResponse(event: SubscriptionValidationEvent): { validationResponse: string } {
  return { validationResponse: event.validationCode };
}

/**
 * CloudEvents webhook abuse protection (the handshake Event Grid uses for CloudEvents-schema subscriptions): an
 * HTTP OPTIONS with `WebHook-Request-Origin` must be answered 200 with `WebHook-Allowed-Origin` (and optionally a
 * rate). Returns the headers, or undefined when the request carries no origin (then answer 400).
 */
export function webhookAbuseProtectionHeaders(requestOrigin: string | null | undefined): Record<string, string> | undefined {
  if (!requestOrigin) return undefined;
  return { 'WebHook-Allowed-Origin': requestOrigin, 'WebHook-Allowed-Rate': '*' };
}
