/**
 * Per-process dependencies for the registrations. In Azure they are built once from app settings and
 * releases run on Durable Functions; `ringmaster serve` installs its own (the local durable host and
 * the ledger in Azurite) through `installLocalHost` before it loads the app.
 */
import type { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { durableRuntime } from '../app/durable-runtime';
import type { RouterDeps } from '../app/event-router';
import { planCatalog } from '../app/plan-catalog';
import type { ReleaseRuntime } from '../app/release-runtime';
import { buildDeps, readAppSettings, type AppDeps } from '../app/wiring';

export interface LocalHostBindings {
  deps: AppDeps;
  runtime: ReleaseRuntime;
}

const LOCAL = Symbol.for('ringmaster.localHost');
type Global = typeof globalThis & { [LOCAL]?: LocalHostBindings };

let built: AppDeps | undefined;

/** Called by the local runtime before it loads the app. */
export function installLocalHost(bindings: LocalHostBindings | undefined): void {
  (globalThis as Global)[LOCAL] = bindings;
}

export function appDeps(): AppDeps {
  const local = (globalThis as Global)[LOCAL];
  if (local) return local.deps;
  built ??= buildDeps(readAppSettings(process.env));
  return built;
}

export function runtimeFor(context: InvocationContext): ReleaseRuntime {
  return (globalThis as Global)[LOCAL]?.runtime ?? durableRuntime(df.getClient(context));
}

export function routerDeps(context: InvocationContext): RouterDeps {
  const deps = appDeps();
  return {
    runtime: runtimeFor(context),
    plans: planCatalog(deps.settings.plans),
    seen: deps.seen,
    versionExists: async (versionId) => {
      const seen = await deps.ports.observe({ versionId });
      // A read that failed is not "gone": the event is retried by Event Grid rather than dropped.
      if (seen.errors.length) throw new Error(seen.errors.join('; '));
      return seen.exists;
    },
    timing: { idlePollMs: deps.settings.idlePollMs, retryMs: deps.settings.retryMs },
    log: (m) => context.log(m),
  };
}
