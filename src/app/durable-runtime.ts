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
      const existing = await client.getStatus(instanceId).catch(() => undefined);
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
      const status = await client.getStatus(instanceId).catch(() => undefined);
      return status ? toInstance(status) : undefined;
    },
    async list(filter) {
      // Completed releases accumulate in the task hub; the minute-by-minute callers ask for running ones only.
      const statuses = filter?.active
        ? await client.getStatusBy({ runtimeStatus: [df.OrchestrationRuntimeStatus.Running, df.OrchestrationRuntimeStatus.Pending, df.OrchestrationRuntimeStatus.ContinuedAsNew] })
        : await client.getStatusAll();
      return statuses.map(toInstance);
    },
  };
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
