// The admin API under /_sim/ (documented in docs/simulator.md): fleet snapshot, clock, scenario, faults,
// webhook subscriptions, call counters, deliveries, events, throttling budgets.
import { z } from 'zod';
import { parseDuration } from './durations';
import { armFaultSpec, eventFaultSpec, type Faults } from './faults';
import { healthRuleSpec, timelineActionSpec } from './fleet-spec';
import type { EventGrid } from './event-grid';
import type { Simulation } from './simulation';
import { snapshot } from './snapshot';
import type { ThrottleConfig, Throttler } from './throttle';

export interface AdminDeps {
  sim: Simulation;
  faults: Faults;
  eventGrid: EventGrid;
  throttler: Throttler;
  calls: Record<string, number>;
  url: string;
  caPem: string;
  caPath: string;
}

export interface AdminReply {
  status: number;
  body?: unknown;
  text?: string;
}

const bad = (message: string, issues?: readonly { path: readonly PropertyKey[]; message: string }[]): AdminReply => ({
  status: 400,
  body: { error: { code: 'BadRequest', message: issues?.[0] ? `${message}: at ${issues[0].path.map(String).join('.') || '(root)'}: ${issues[0].message}` : message } },
});

const bucket = z.strictObject({ capacity: z.number().min(1), perMinute: z.number().min(0) });
const throttleSpec = z.strictObject({
  enabled: z.boolean().optional(),
  subscriptionReads: bucket.optional(),
  subscriptionWrites: bucket.optional(),
  rollingUpgradeStatusReads: bucket.optional(),
});

export async function handleAdmin(d: AdminDeps, method: string, path: string, query: URLSearchParams, body: unknown): Promise<AdminReply> {
  const p = path.replace(/\/+$/, '');
  const seg = p.split('/').slice(2); // after "/_sim"
  const [a, b] = seg;
  const route = `${method} ${a ?? ''}${b !== undefined ? `/${b}` : ''}`;
  switch (true) {
    case route === 'GET ':
      return {
        status: 200,
        body: {
          endpoints: ['GET /_sim/fleet', 'GET /_sim/clock', 'POST /_sim/clock/advance', 'POST /_sim/clock/speed', 'GET /_sim/scenario', 'POST /_sim/scenario/actions',
            'POST /_sim/scenario/health', 'GET|POST|DELETE /_sim/faults', 'DELETE /_sim/faults/{id}', 'GET|POST /_sim/subscriptions', 'DELETE /_sim/subscriptions/{name}',
            'GET|DELETE /_sim/calls', 'GET /_sim/deliveries', 'GET /_sim/events', 'GET|PUT /_sim/throttling', 'GET /_sim/topic', 'GET /_sim/ca'],
        },
      };
    case route === 'GET fleet':
      return { status: 200, body: snapshot(d.sim, { instances: query.get('instances') !== 'false' }) };
    case route === 'GET clock':
      return { status: 200, body: clockJson(d.sim) };
    case route === 'POST clock/advance': {
      const r = z.strictObject({ ms: z.number().min(0).optional(), duration: z.union([z.string(), z.number()]).optional() }).safeParse(body ?? {});
      if (!r.success) return bad('invalid advance request', r.error.issues);
      let ms = r.data.ms ?? 0;
      if (r.data.duration !== undefined) {
        try {
          ms = parseDuration(r.data.duration);
        } catch (e) {
          return bad((e as Error).message);
        }
      }
      const events = d.sim.clock.advance(ms);
      return { status: 200, body: { ...clockJson(d.sim), eventsProcessed: events } };
    }
    case route === 'POST clock/speed': {
      const r = z.strictObject({ speed: z.number().min(0).max(1_000_000).optional(), manual: z.boolean().optional() }).safeParse(body ?? {});
      if (!r.success) return bad('invalid speed request', r.error.issues);
      if (r.data.speed !== undefined) d.sim.clock.setSpeed(r.data.speed);
      if (r.data.manual !== undefined) d.sim.clock.setManual(r.data.manual);
      return { status: 200, body: clockJson(d.sim) };
    }
    case route === 'GET scenario':
      return {
        status: 200,
        body: { timeline: d.sim.timeline.map((t) => ({ ...t, at: t.at === undefined ? null : new Date(t.at).toISOString() })), health: d.sim.health.rules },
      };
    case route === 'POST scenario/actions': {
      const r = z.union([timelineActionSpec, z.array(timelineActionSpec)]).safeParse(body);
      if (!r.success) return bad('invalid scenario action', r.error.issues);
      const list = Array.isArray(r.data) ? r.data : [r.data];
      const entries = list.map((x) => d.sim.addTimelineAction(x, true));
      d.sim.clock.advance(0);
      return { status: 201, body: entries.map((t) => ({ ...t, at: t.at === undefined ? null : new Date(t.at).toISOString() })) };
    }
    case route === 'POST scenario/health': {
      const r = z.strictObject({ rules: z.array(healthRuleSpec), replace: z.boolean().default(false) }).safeParse(body);
      if (!r.success) return bad('invalid health rules', r.error.issues);
      d.sim.setHealthRules(r.data.rules, r.data.replace);
      return { status: 200, body: { health: d.sim.health.rules } };
    }
    case route === 'GET faults':
      return { status: 200, body: { arm: d.faults.arm, events: d.faults.events } };
    case route === 'POST faults': {
      const r = z.union([z.strictObject({ arm: armFaultSpec }), z.strictObject({ event: eventFaultSpec })]).safeParse(body);
      if (!r.success) return bad('invalid fault (send {"arm":{...}} or {"event":{...}})', r.error.issues);
      return { status: 201, body: 'arm' in r.data ? d.faults.addArm(r.data.arm) : d.faults.addEvent(r.data.event) };
    }
    case route === 'DELETE faults':
      d.faults.clear();
      return { status: 204 };
    case method === 'DELETE' && a === 'faults' && b !== undefined:
      return d.faults.remove(b) ? { status: 204 } : { status: 404, body: { error: { code: 'NotFound', message: `no fault ${b}` } } };
    case route === 'GET subscriptions':
      return { status: 200, body: { value: [...d.eventGrid.subs.values()] } };
    case route === 'POST subscriptions': {
      try {
        return { status: 201, body: await d.eventGrid.addSubscription(body as never) };
      } catch (e) {
        if (e instanceof z.ZodError) return bad('invalid subscription', e.issues);
        return { status: 400, body: { error: { code: 'WebhookValidationFailed', message: (e as Error).message } } };
      }
    }
    case method === 'DELETE' && a === 'subscriptions' && b !== undefined:
      return d.eventGrid.remove(b) ? { status: 204 } : { status: 404, body: { error: { code: 'NotFound', message: `no subscription ${b}` } } };
    case route === 'GET calls':
      return { status: 200, body: { calls: d.calls } };
    case route === 'DELETE calls':
      for (const k of Object.keys(d.calls)) delete d.calls[k];
      return { status: 204 };
    case route === 'GET deliveries':
      return { status: 200, body: { deliveries: d.eventGrid.log, deadLetters: d.eventGrid.deadLetters } };
    case route === 'GET events':
      return { status: 200, body: { events: d.sim.eventLog } };
    case route === 'GET throttling':
      return { status: 200, body: d.throttler.config };
    case route === 'PUT throttling': {
      const r = throttleSpec.safeParse(body);
      if (!r.success) return bad('invalid throttling config', r.error.issues);
      const next: ThrottleConfig = { ...d.throttler.config };
      if (r.data.enabled !== undefined) next.enabled = r.data.enabled;
      if (r.data.subscriptionReads) next.subscriptionReads = r.data.subscriptionReads;
      if (r.data.subscriptionWrites) next.subscriptionWrites = r.data.subscriptionWrites;
      if (r.data.rollingUpgradeStatusReads) next.rollingUpgradeStatusReads = r.data.rollingUpgradeStatusReads;
      d.throttler.config = next;
      d.throttler.reset();
      return { status: 200, body: next };
    }
    case route === 'GET topic':
      return { status: 200, body: { endpoint: `${d.url}/api/events`, key: d.eventGrid.topicKey, topicId: d.eventGrid.topicId } };
    case route === 'GET ca':
      return { status: 200, text: d.caPem };
    default:
      return { status: 404, body: { error: { code: 'NotFound', message: `no admin endpoint ${method} ${path}; GET /_sim lists them` } } };
  }
}

function clockJson(sim: Simulation): Record<string, unknown> {
  return { now: sim.clock.now().toISOString(), speed: sim.clock.getSpeed(), manual: sim.clock.isManual(), pendingEvents: sim.clock.pending() };
}
