/**
 * The live rollout picture's numbers, from real ledger rows: what the runtime's API returned mid-rehearsal
 * (test/fixtures/payments-live-1300.json, its source noted there) and what the orchestrator writes under the
 * real durable-functions library (durable-rig.ts). Each row names the story, then the step series of one
 * region and version ("HH:MM on/read", a step wherever either changes) and the markers it must carry.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ORCHESTRATOR } from '../../src/app/release-orchestrator';
import { afterProgress, OTHER_VERSIONS, rolloutTimelines, type RolloutRelease, type RolloutTimeline } from '../../src/app/rollout-timeline';
import { renderTimeline } from '../../src/app/timeline-svg';
import { loadPlan, versionId } from '../core/factories';
import { durableRig } from './durable-rig';

const fixture = JSON.parse(readFileSync(join(__dirname, '../fixtures/payments-live-1300.json'), 'utf8')) as { releases: RolloutRelease[] };
const plan = loadPlan('payments.yaml');

const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);

/** "HH:MM on/read" at each step where the region's count of `version`, or of instances read, changed. */
function series(t: RolloutTimeline, region: string, version: string): string[] {
  const out: string[] = [];
  let last = '';
  for (const p of t.points) {
    const c = p.counts[region];
    if (!c) continue;
    const text = `${c[version] ?? 0}/${Object.values(c).reduce((a, b) => a + b, 0)}`;
    if (text !== last) out.push(`${hhmm(p.at)} ${text}`);
    last = text;
  }
  return out;
}

const markers = (t: RolloutTimeline, region: string) => t.markers.filter((m) => m.region === region).map((m) => `${hhmm(m.at)} ${m.kind} ${m.label.split(':')[0]}`);

/**
 * The slow burn, run through the orchestrator: the canary's first batches come back (ARM lists no instances yet,
 * and no OS upgrade history names the version), the canary completes 1.7.0, then 4 of 10 upgraded turn unhealthy
 * in the soak.
 */
async function slowBurn(): Promise<RolloutRelease[]> {
  const { w, host, advance, status, at } = durableRig(plan);
  w.publish(versionId('1.7.0'));
  w.replicate(versionId('1.7.0'), 'eastus');
  host.start(ORCHESTRATOR, 'rel', { release: 'rel', versionId: versionId('1.7.0'), plan, idlePollMs: 5 * 60_000, retryMs: 60_000 });
  await host.whenIdle();
  const canary = w.sets.filter((s) => s.region === 'eastus');
  for (const s of canary) w.upgradeSet({ scaleSetId: s.id, code: 'RollingForward', startTime: at(60_000), progress: { successful: 2, failed: 0, inProgress: 2, pending: 6 } });
  await advance(5 * 60_000);
  w.instances('eastus', '1.7.0', 10, 0);
  w.upgrade('eastus', 'Completed', at(60_000));
  await advance(5 * 60_000);
  w.instances('eastus', '1.7.0', 10, 4);
  await advance(5 * 60_000);
  const release = { summary: status(), ledger: await w.ledger.list('rel') };
  host.close();
  return [release];
}

const cases: { name: string; releases: () => Promise<RolloutRelease[]>; windowMs?: number; expect: (t: RolloutTimeline) => void }[] = [
  {
    name: 'payments at 13:00: the canary\'s 1.7.0 rises to its first batch and returns, 1.7.1 takes the canary; the early ring is not read yet',
    releases: async () => fixture.releases,
    expect: (t) => {
      // Read at 08:10; Faulted at 08:35 with 2 failed; 1.7.1's release reads all 20 on 1.6.4 at 12:00 (the Faulted
      // upgrade it restates in that round is not applied again).
      expect(series(t, 'eastus', '1.7.0')).toEqual(['08:10 0/20', '08:35 2/20', '12:00 0/20']);
      expect(series(t, 'eastus', '1.7.1')).toEqual(['08:10 0/20', '12:26 2/20', '12:31 4/20', '12:33 6/20', '12:38 8/20', '12:40 10/20', '12:45 12/20', '12:47 14/20', '12:52 16/20', '12:54 18/20', '12:59 20/20']);
      expect(series(t, 'westus3', '1.7.1')).toEqual([]);
      expect(t.regions).toEqual(['eastus', 'westus3', 'northeurope', 'westeurope', 'southeastasia', 'australiaeast']);
      expect(markers(t, 'eastus')).toEqual(['12:00 ring-opened 1.7.1', '08:10 ring-opened 1.7.0', '08:35 halted 1.7.0', '08:35 demoted 1.7.0 demoted by ringmaster']);
      expect(markers(t, 'westus3')).toEqual([]);
      expect(hhmm(t.start)).toBe('08:10');
    },
  },
  {
    name: 'payments at 13:00, a two-hour window: the picture starts with the state then (2 of 20 on 1.7.0), earlier markers left out',
    releases: async () => fixture.releases,
    windowMs: 2 * 3_600_000,
    expect: (t) => {
      expect(hhmm(t.start)).toBe('10:59');
      expect(series(t, 'eastus', '1.7.0')).toEqual(['10:59 2/20', '12:00 0/20']);
      expect(markers(t, 'eastus')).toEqual(['12:00 ring-opened 1.7.1']);
    },
  },
  {
    name: 'a slow burn in the soak: an upgrade that names no version, started after eastus opened, counts for the release; the evidence breach is marked where it was read',
    releases: slowBurn,
    expect: (t) => {
      // 09:05: two batches of 2 came back, and no instance was listed: the other 16 are "other versions".
      expect(series(t, 'eastus', '1.7.0')).toEqual(['09:05 4/20', '09:10 20/20']);
      expect(series(t, 'eastus', OTHER_VERSIONS)).toEqual(['09:05 16/20', '09:10 0/20']);
      expect(markers(t, 'eastus')).toEqual(['09:00 ring-opened 1.7.0', '09:15 halted 1.7.0', '09:15 demoted 1.7.0 demoted by ringmaster']);
      expect(t.markers.find((m) => m.kind === 'halted')?.label).toMatch(/breach — breach: 4 of 10 instances on 1\.7\.0 unhealthy/);
    },
  },
];

describe('rolloutTimelines', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const pictures = rolloutTimelines(await c.releases(), c.windowMs ? { windowMs: c.windowMs } : {});
      expect(pictures).toHaveLength(1);
      c.expect(pictures[0]!);
    });
  }

  it('draws as the same picture the report draws: bands with their largest and final share, escaped, no script', () => {
    const t = rolloutTimelines(fixture.releases)[0]!;
    const svg = renderTimeline(t, { title: 'as <Ringmaster> observed it', end: t.end, regions: t.regions, markers: t.markers });
    expect(svg).toMatch(/data-region="eastus" data-version="1\.7\.0" data-max-share="0\.1" data-final-share="0"/);
    expect(svg).toMatch(/data-region="eastus" data-version="1\.7\.1" data-max-share="1" data-final-share="1"/);
    expect(svg).not.toMatch(/data-region="westus3" data-version=/);
    expect(svg).toContain('as &lt;Ringmaster&gt; observed it');
    expect(svg).not.toMatch(/<script|href=|https?:\/\//);
  });

  it('draws nothing for releases whose ledgers hold no row yet', () => {
    expect(rolloutTimelines([{ summary: fixture.releases[0]!.summary, ledger: [] }])).toEqual([]);
  });
});

describe('afterProgress', () => {
  // progress: [successful, failed, inProgress, pending]
  const rows: { name: string; before: Record<string, number>; version: string; p: [number, number, number, number]; after: Record<string, number> }[] = [
    { name: 'the first batch came back', before: { '1.6.4': 10 }, version: '1.7.1', p: [2, 0, 2, 6], after: { '1.6.4': 8, '1.7.1': 2 } },
    { name: 'failed instances ran it (the progress does not say they were rolled back)', before: { '1.6.4': 10 }, version: '1.7.0', p: [0, 2, 0, 8], after: { '1.6.4': 8, '1.7.0': 2 } },
    { name: 'the rest shares out over what the set ran, largest remainder first', before: { '1.6.4': 7, '1.6.3': 3 }, version: '1.7.1', p: [5, 0, 0, 5], after: { '1.6.4': 4, '1.6.3': 1, '1.7.1': 5 } },
    { name: 'never read: the rest is other versions', before: {}, version: '1.7.1', p: [0, 0, 2, 8], after: { [OTHER_VERSIONS]: 10 } },
    { name: 'completed', before: { '1.6.4': 2, '1.7.1': 8 }, version: '1.7.1', p: [10, 0, 0, 0], after: { '1.7.1': 10 } },
  ];
  for (const r of rows) {
    it(r.name, () => {
      const [successful, failed, inProgress, pending] = r.p;
      expect(afterProgress(r.before, r.version, { successful, failed, inProgress, pending })).toEqual(r.after);
    });
  }
});
