/**
 * The ReleaseRuntime over the Durable Functions client. The client's backend (the host's Durable Task
 * extension) cannot run here, so this stands in for the client at that boundary and checks what is asked of it.
 */
import * as df from 'durable-functions';
import type { DurableClient, DurableOrchestrationStatus } from 'durable-functions';
import { describe, expect, it } from 'vitest';
import { durableRuntime } from '../../src/app/durable-runtime';

function client() {
  const calls: unknown[][] = [];
  const status = (instanceId: string, runtimeStatus: df.OrchestrationRuntimeStatus) =>
    ({ instanceId, runtimeStatus, createdTime: new Date('2026-11-02T09:00:00Z'), lastUpdatedTime: new Date('2026-11-02T09:05:00Z'), customStatus: { phase: 'upgrading' } }) as unknown as DurableOrchestrationStatus;
  const fake = {
    getStatusAll: async () => (calls.push(['getStatusAll']), [status('a', df.OrchestrationRuntimeStatus.Completed), status('b', df.OrchestrationRuntimeStatus.Running)]),
    getStatusBy: async (filter: unknown) => (calls.push(['getStatusBy', filter]), [status('b', df.OrchestrationRuntimeStatus.Running)]),
    getStatus: async (id: string) => {
      calls.push(['getStatus', id]);
      if (id === 'b') return status('b', df.OrchestrationRuntimeStatus.Running);
      if (id === 'blink') throw new Error('DurableClient error: the Durable Functions extension replied with HTTP 500');
      throw new Error(`DurableClient error: Durable Functions extension replied with HTTP 404 response. This usually means we could not find any data associated with the instanceId provided: ${id}.`);
    },
    purgeInstanceHistoryBy: async (filter: unknown) => (calls.push(['purgeInstanceHistoryBy', filter]), { instancesDeleted: 3 }),
    startNew: async (name: string, options: unknown) => (calls.push(['startNew', name, options]), 'x'),
    raiseEvent: async (id: string, name: string, data: unknown) => {
      calls.push(['raiseEvent', id, name, data]);
      if (id !== 'b') throw new Error('not found');
    },
  };
  return { calls, runtime: durableRuntime(fake as unknown as DurableClient) };
}

describe('durable runtime', () => {
  it('lists only running releases for the minute-by-minute callers, all of them for the API', async () => {
    const { calls, runtime } = client();
    expect((await runtime.list({ active: true })).map((r) => r.instanceId)).toEqual(['b']);
    expect(calls[0]).toEqual(['getStatusBy', { runtimeStatus: ['Running', 'Pending', 'ContinuedAsNew'] }]);
    expect((await runtime.list()).map((r) => `${r.instanceId}:${r.status}`)).toEqual(['a:Completed', 'b:Running']);
  });

  it('does not start a release that runs already; signals fail softly for unknown ones', async () => {
    const { calls, runtime } = client();
    expect(await runtime.start('b', {})).toBe(false);
    expect(await runtime.start('c', { versionId: 'v' })).toBe(true);
    expect(calls.at(-1)).toEqual(['startNew', 'releaseOrchestrator', { instanceId: 'c', input: { versionId: 'v' } }]);
    expect(await runtime.signal('b', { kind: 'wake-up' })).toBe(true);
    expect(await runtime.signal('zzz', { kind: 'wake-up' })).toBe(false);
  });

  it('takes only a 404 for "no such release": a failing status read is retried and then surfaces, and nothing is started over it', async () => {
    const { calls, runtime } = client();
    expect(await runtime.get('c')).toBeUndefined();
    await expect(runtime.start('blink', {})).rejects.toThrow(/HTTP 500/);
    expect(calls.filter((c) => c[0] === 'getStatus' && c[1] === 'blink')).toHaveLength(3);
    expect(calls.some((c) => c[0] === 'startNew')).toBe(false);
  });

  it('purges only ended releases created before the retention, and says how many', async () => {
    const { calls, runtime } = client();
    const before = new Date('2026-10-01T00:00:00Z');
    expect(await runtime.purge!(before)).toBe(3);
    expect(calls.at(-1)).toEqual(['purgeInstanceHistoryBy', { createdTimeTo: before, runtimeStatus: ['Completed', 'Failed', 'Terminated'] }]);
  });
});
