/**
 * Loads src/index.ts with a stand-in for the host's @azure/functions-core and checks every registration:
 * name, trigger, schedule, route, methods and auth level.
 */
import { describe, expect, it } from 'vitest';
import { installFunctionsCoreStandIn } from '../../src/local/functions-core-standin';

const registrations = installFunctionsCoreStandIn();

describe('function registrations', async () => {
  await import('../../src/index');
  const byName = new Map(registrations.map((r) => [r.name, r]));

  it('registers exactly the functions of the design', () => {
    expect([...byName.keys()].sort()).toEqual([
      'actOnRelease', 'dashboard', 'executeCommand', 'executeCommands', 'health', 'listReleases', 'monthlyRebake', 'observeRelease',
      'onAlert', 'onReleaseEvent', 'onResourceEvent', 'recordLedger', 'releaseOrchestrator', 'showRelease', 'watchFleet',
    ]);
  });

  const rows: { name: string; trigger: Record<string, unknown> }[] = [
    { name: 'onResourceEvent', trigger: { type: 'eventGridTrigger' } },
    { name: 'onReleaseEvent', trigger: { type: 'eventGridTrigger' } },
    { name: 'onAlert', trigger: { type: 'httpTrigger', authLevel: 'function', route: 'alerts', methods: ['POST'] } },
    { name: 'watchFleet', trigger: { type: 'timerTrigger', schedule: '%RINGMASTER_WATCH_SCHEDULE%' } },
    { name: 'monthlyRebake', trigger: { type: 'timerTrigger', schedule: '%RINGMASTER_REBAKE_SCHEDULE%' } },
    { name: 'releaseOrchestrator', trigger: { type: 'orchestrationTrigger' } },
    { name: 'observeRelease', trigger: { type: 'activityTrigger' } },
    { name: 'executeCommand', trigger: { type: 'activityTrigger' } },
    { name: 'executeCommands', trigger: { type: 'activityTrigger' } },
    { name: 'recordLedger', trigger: { type: 'activityTrigger' } },
    { name: 'listReleases', trigger: { type: 'httpTrigger', authLevel: 'function', route: 'releases', methods: ['GET'] } },
    { name: 'showRelease', trigger: { type: 'httpTrigger', authLevel: 'function', route: 'releases/{id}', methods: ['GET'] } },
    { name: 'actOnRelease', trigger: { type: 'httpTrigger', authLevel: 'function', route: 'releases/{id}/{action}', methods: ['POST'] } },
    { name: 'dashboard', trigger: { type: 'httpTrigger', authLevel: 'function', route: 'dashboard', methods: ['GET'] } },
    { name: 'health', trigger: { type: 'httpTrigger', authLevel: 'anonymous', route: 'health', methods: ['GET'] } },
  ];

  it.each(rows)('$name has its trigger', ({ name, trigger }) => {
    const r = byName.get(name);
    expect(r, name).toBeDefined();
    expect(r!.trigger).toMatchObject({ direction: 'in', ...trigger });
  });

  it('gives the durable client binding to everything that starts or signals releases', () => {
    for (const name of ['onResourceEvent', 'onReleaseEvent', 'onAlert', 'watchFleet', 'listReleases', 'showRelease', 'actOnRelease', 'dashboard']) {
      const types = Object.values(byName.get(name)!.metadata.bindings).map((b) => b.type);
      expect(types, name).toContain('durableClient');
    }
  });
});
