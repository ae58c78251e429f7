/** Event Grid triggers: the subscription's system topic and Ringmaster's own custom topic. */
import { app, type EventGridEvent, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { intakeEvents } from '../app/event-intake';
import { routerDeps } from './deps';

/** The delivery schema each trigger's Event Grid subscription must use (infra/ sets the same). */
export const EVENT_SCHEMAS = { onResourceEvent: 'EventGridSchema', onReleaseEvent: 'CloudEventSchemaV1_0' } as const;

async function onEvent(event: EventGridEvent, context: InvocationContext): Promise<void> {
  const outcomes = await intakeEvents(event, routerDeps(context));
  for (const o of outcomes) context.log(`${o.eventId}: ${o.outcome} (${o.detail})`);
}

app.eventGrid('onResourceEvent', { handler: onEvent, extraInputs: [df.input.durableClient()] });
app.eventGrid('onReleaseEvent', { handler: onEvent, extraInputs: [df.input.durableClient()] });
