/** Timers: the fleet watcher (every minute by default) and the monthly rebake (03:00 UTC on the 1st). */
import { app, type InvocationContext, type Timer } from '@azure/functions';
import * as df from 'durable-functions';
import { startRebakes, watchRebakes } from '../app/rebake';
import { watchFleet } from '../app/watcher';
import { appDeps, runtimeFor } from './deps';

async function onWatch(_timer: Timer, context: InvocationContext): Promise<void> {
  const deps = appDeps();
  const r = await watchFleet({ turn: watchRounds, runtime: runtimeFor(context), ports: deps.ports, ...(deps.publisher ? { publisher: deps.publisher } : {}), log: (m) => context.log(m) });
  if (r.releases > 0) context.log(`watchFleet: ${r.releases} active release(s), ${r.reads} ARM reads, ${r.changes} change(s)`);
  // Image Builder builds take most of an hour: their last run is read every 15th round, not every minute.
  if (watchRounds++ % REBAKE_WATCH_EVERY === 0) await watchRebakes(deps.settings.plans, deps.ports, new Date(), (m) => context.log(m));
}

const REBAKE_WATCH_EVERY = 15;
let watchRounds = 0;

async function onRebake(_timer: Timer, context: InvocationContext): Promise<void> {
  const deps = appDeps();
  await startRebakes(deps.settings.plans, deps.ports, new Date(), (m) => context.log(m));
}

app.timer('watchFleet', { schedule: '%RINGMASTER_WATCH_SCHEDULE%', handler: onWatch, extraInputs: [df.input.durableClient()] });
app.timer('monthlyRebake', { schedule: '%RINGMASTER_REBAKE_SCHEDULE%', handler: onRebake });
