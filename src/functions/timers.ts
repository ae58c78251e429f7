/** Timers: the fleet watcher (every minute by default; every 5th run also reconciles releases with the gallery) and the monthly rebake (03:00 UTC on the 1st). */
import { app, type InvocationContext, type Timer } from '@azure/functions';
import * as df from 'durable-functions';
import { startRebakes, watchRebakes } from '../app/rebake';
import { watchFleet } from '../app/watcher';
import { reconcile } from '../app/reconciler';
import { appDeps, routerDeps, runtimeFor } from './deps';

async function onWatch(_timer: Timer, context: InvocationContext): Promise<void> {
  const deps = appDeps();
  const round = watchRounds++;
  // Events can be lost: the first run after start-up and every 5th run after list the planned images' versions.
  if (round % RECONCILE_EVERY === 0) {
    const r = await reconcile({ router: routerDeps(context), plans: deps.settings.plans, listVersions: (id) => deps.ports.listVersions(id), now: deps.now() });
    for (const e of r.errors) context.log(`reconcile: ${e}`);
  }
  // Ended releases accumulate in the task hub: once a day (and at start-up), purge the old ones.
  if (round % PURGE_EVERY === 0) {
    const runtime = runtimeFor(context);
    const purged = await runtime.purge?.(new Date(deps.now().getTime() - deps.settings.purgeAfterMs)).catch((err: unknown) => (context.warn(`purge failed: ${String(err)}`), 0));
    if (purged) context.log(`purged the history of ${purged} ended release(s)`);
  }
  const r = await watchFleet({ turn: round, runtime: runtimeFor(context), ports: deps.ports, ...(deps.publisher ? { publisher: deps.publisher } : {}), log: (m) => context.log(m) });
  if (r.releases > 0) context.log(`watchFleet: ${r.releases} active release(s), ${r.reads} ARM reads, ${r.changes} change(s)`);
  // Image Builder builds take most of an hour: their last run is read every 15th round, not every minute.
  if (round % REBAKE_WATCH_EVERY === 0) await watchRebakes(deps.settings.plans, deps.ports, deps.now(), (m) => context.log(m));
}

const REBAKE_WATCH_EVERY = 15;
const RECONCILE_EVERY = 5;
const PURGE_EVERY = 1440;
let watchRounds = 0;

async function onRebake(_timer: Timer, context: InvocationContext): Promise<void> {
  const deps = appDeps();
  await startRebakes(deps.settings.plans, deps.ports, deps.now(), (m) => context.log(m));
}

app.timer('watchFleet', { schedule: '%RINGMASTER_WATCH_SCHEDULE%', handler: onWatch, extraInputs: [df.input.durableClient()] });
app.timer('monthlyRebake', { schedule: '%RINGMASTER_REBAKE_SCHEDULE%', handler: onRebake });
