/** Rebake notices: a failed or succeeded template run is announced once per run, on the plan's routes. */
import { describe, expect, it } from 'vitest';
import { startRebakes, watchRebakes } from '../../src/app/rebake';
import { planWith } from '../core/factories';
import { fakeWorld } from '../app/fake-world';

const plan = planWith({
  notify: [
    { on: ['rebake-failed'], teams: 'teams-payments-oncall' },
    { on: ['rebake-succeeded', 'rebake-failed'], slack: 'slack-release-channel' },
  ],
});
const now = new Date('2026-12-01T03:00:00Z');

describe('rebake', () => {
  it('announces a failed run once, on every route that asked, however often the watcher looks', async () => {
    const w = fakeWorld(plan);
    w.templateRun.current = { runState: 'Failed', message: 'Customizer script failed: exit code 1', endTime: '2026-12-01T03:41:00Z' };
    expect(await watchRebakes([plan], w.ports, now, () => {})).toBe(1);
    expect(await watchRebakes([plan], w.ports, now, () => {})).toBe(0);
    expect(w.notices.map((n) => `${n.notice}:${n.channel}`)).toEqual(['rebake-failed:teams', 'rebake-failed:slack']);
    expect(w.notices[0]!.facts.reason).toContain('Customizer script failed');
    // The next month's run is a new occurrence.
    w.templateRun.current = { runState: 'Succeeded', endTime: '2027-01-01T03:44:00Z' };
    expect(await watchRebakes([plan], w.ports, now, () => {})).toBe(1);
    expect(w.notices.at(-1)).toMatchObject({ notice: 'rebake-succeeded', channel: 'slack' });
  });

  it('says nothing about a run still going', async () => {
    const w = fakeWorld(plan);
    w.templateRun.current = { runState: 'Running' };
    expect(await watchRebakes([plan], w.ports, now, () => {})).toBe(0);
    expect(w.notices).toEqual([]);
  });

  it('a template that cannot start is announced as a failed rebake', async () => {
    const w = fakeWorld(plan);
    w.azure.imageBuilder.runTemplate = async () => {
      throw new Error('Forbidden: Microsoft.VirtualMachineImages/imageTemplates/run/action');
    };
    expect(await startRebakes([plan], w.ports, now, () => {})).toBe(0);
    expect(w.notices.map((n) => n.notice)).toEqual(['rebake-failed', 'rebake-failed']);
    expect(w.notices[0]!.facts.reason).toContain('run/action');
  });
});
