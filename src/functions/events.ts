/** Event Grid triggers: the subscription's system topic and Ringmaster's own custom topic. */
import { app, type EventGridEvent, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { BadDelivery, intakeEvents } from '../app/event-intake';
import { routerDeps } from './deps';

/** The delivery schema each trigger's Event Grid subscription must use (infra/ sets the same). */
export const EVENT_SCHEMAS = { onResourceEvent: 'EventGridSchema', onReleaseEvent: 'CloudEventSchemaV1_0' } as const;

/**
 * A malformed event is acknowledged and logged, not thrown: Event Grid retries a failed delivery for up to 24 hours,
 * and no retry can make it well-formed (the subscriptions' dead-letter container keeps what Event Grid gives up on).
 */
async function onEvent(event: EventGridEvent, context: InvocationContext): Promise<void> {
  try {
    const outcomes = await intakeEvents(event, routerDeps(context));
    for (const o of outcomes) context.log(`${o.eventId}: ${o.outcome} (${o.detail})`);
  } catch (err) {
    if (!(err instanceof BadDelivery)) throw err;
    context.warn(`malformed event acknowledged, not routed: ${err.reasons.join('; ')}`);
  }
}

app.eventGrid('onResourceEvent', { handler: onEvent, extraInputs: [df.input.durableClient()] });
app.eventGrid('onReleaseEvent', { handler: onEvent, extraInputs: [df.input.durableClient()] });
