/** ReleaseRuntime over the Durable Functions client binding (in Azure). */
import * as df from 'durable-functions';
import type { DurableClient, DurableOrchestrationStatus } from 'durable-functions';
import type { ReleaseEvent } from '../core';
import { ORCHESTRATOR, SIGNAL } from './release-orchestrator';
import type { ReleaseInstance, ReleaseRuntime } from './release-runtime';
import type { ReleaseSummary } from './release-summary';

export function durableRuntime(client: DurableClient): ReleaseRuntime {
  return {
    async start(instanceId, input) {
      const existing = await statusOf(client, instanceId);
      if (existing && ['Running', 'Pending', 'ContinuedAsNew'].includes(String(existing.runtimeStatus))) return false;
      await client.startNew(ORCHESTRATOR, { instanceId, input });
      return true;
    },
    async signal(instanceId, event: ReleaseEvent) {
      try {
        await client.raiseEvent(instanceId, SIGNAL, event);
        return true;
      } catch {
        return false;
      }
    },
    async get(instanceId) {
      const status = await statusOf(client, instanceId);
      return status ? toInstance(status) : undefined;
    },
    async list(filter) {
      // Completed releases accumulate in the task hub; the minute-by-minute callers ask for running ones only.
      const statuses = filter?.active
        ? await client.getStatusBy({ runtimeStatus: [df.OrchestrationRuntimeStatus.Running, df.OrchestrationRuntimeStatus.Pending, df.OrchestrationRuntimeStatus.ContinuedAsNew] })
        : await client.getStatusAll();
      return statuses.map(toInstance);
    },
    async purge(createdBefore) {
      const S = df.OrchestrationRuntimeStatus;
      const r = await client.purgeInstanceHistoryBy({ createdTimeTo: createdBefore, runtimeStatus: [S.Completed, S.Failed, S.Terminated] });
      return r.instancesDeleted;
    },
  };
}

/**
 * The instance's status, or undefined when the extension says it has none (HTTP 404). Any other failure
 * (a 500 from the task hub's storage blinking) is tried again and then thrown: taking it for "absent"
 * would start a new instance over a running release.
 */
async function statusOf(client: DurableClient, instanceId: string, attempts = 3): Promise<DurableOrchestrationStatus | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.getStatus(instanceId);
    } catch (err) {
      if (err instanceof Error && /replied with HTTP 404 response/.test(err.message)) return undefined;
      if (attempt >= attempts) throw err;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

function toInstance(s: DurableOrchestrationStatus): ReleaseInstance {
  return {
    instanceId: s.instanceId,
    status: String(s.runtimeStatus) as ReleaseInstance['status'],
    createdTime: new Date(s.createdTime).toISOString(),
    lastUpdatedTime: new Date(s.lastUpdatedTime).toISOString(),
    ...(s.customStatus && typeof s.customStatus === 'object' ? { summary: s.customStatus as ReleaseSummary } : {}),
  };
}
