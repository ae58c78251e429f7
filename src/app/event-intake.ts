/**
 * Incoming deliveries (Event Grid events, Azure Monitor alerts) → validated → routed. A malformed
 * delivery is rejected with a reason that names the field, before anything is routed or started.
 */
import { parseAlert } from '../azure/alert-parsing';
import { parseEvents } from '../azure/event-parsing';
import type { ReleaseEvent } from '../core';
import { routeEvents, type RouteOutcome, type RouterDeps } from './event-router';

export class BadDelivery extends Error {
  constructor(readonly reasons: string[]) {
    super(`rejected: ${reasons.join('; ')}`);
    this.name = 'BadDelivery';
  }
}

/** One or many events (Event Grid schema or CloudEvents 1.0). Throws BadDelivery when any is malformed. */
export async function intakeEvents(body: unknown, deps: RouterDeps): Promise<RouteOutcome[]> {
  const parsed = parseEvents(Array.isArray(body) ? body : [body]);
  if (!parsed.ok) throw new BadDelivery(parsed.errors);
  return routeEvents(parsed.value, deps);
}

/** An Azure Monitor alert (common alert schema) → an alert signal to every active release; each decides whether it gates it. */
export async function intakeAlert(body: unknown, deps: Pick<RouterDeps, 'runtime' | 'log'>): Promise<{ alertRule: string; signalled: string[] }> {
  const parsed = parseAlert(body);
  if (!parsed.ok) throw new BadDelivery(parsed.errors);
  const alert = parsed.value;
  const event: ReleaseEvent = {
    kind: 'alert',
    alertRule: alert.alertRule,
    state: alert.monitorCondition === 'Resolved' ? 'resolved' : 'fired',
    targetResourceIds: alert.targetResourceIds,
  };
  const signalled: string[] = [];
  for (const r of await deps.runtime.list({ active: true })) {
    if (r.status !== 'Running' || !r.summary || r.summary.terminal) continue;
    if (await deps.runtime.signal(r.instanceId, event)) signalled.push(r.instanceId);
  }
  deps.log(`alert ${alert.alertRule} ${alert.monitorCondition}: signalled ${signalled.length} release(s)`);
  return { alertRule: alert.alertRule, signalled };
}
