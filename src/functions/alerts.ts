/** Azure Monitor action group webhook (common alert schema) → a gate signal. */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { BadDelivery, intakeAlert } from '../app/event-intake';
import { routerDeps } from './deps';

async function onAlert(req: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  let body: unknown;
  try {
    body = JSON.parse(await req.text());
  } catch {
    return { status: 400, jsonBody: { error: { code: 'InvalidJson', message: 'the body is not JSON (expected the Azure Monitor common alert schema)' } } };
  }
  try {
    return { status: 200, jsonBody: await intakeAlert(body, routerDeps(context)) };
  } catch (err) {
    if (err instanceof BadDelivery) return { status: 400, jsonBody: { error: { code: 'InvalidAlert', message: err.message, details: err.reasons } } };
    throw err;
  }
}

app.http('onAlert', { methods: ['POST'], authLevel: 'function', route: 'alerts', extraInputs: [df.input.durableClient()], handler: onAlert });
