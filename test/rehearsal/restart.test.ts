/**
 * Killing the local runtime in the middle of a rehearsal and starting it again (same port, same state dir)
 * ends in the same outcome: one demotion, no duplicate notice, every release where it would have been.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/local/report';

const root = join(__dirname, '../..');

async function run(extra: string[]): Promise<Report> {
  const out = mkdtempSync(join(tmpdir(), 'rm-restart-'));
  const child = spawn(process.execPath, [join(root, 'bin/ringmaster.js'), 'rehearse', '--json', '--no-baseline', '--out', out, ...extra], { cwd: root, stdio: 'ignore' });
  await new Promise((resolve) => child.on('exit', resolve));
  return JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
}

describe('restart in the middle of a release', () => {
  it('ends as the uninterrupted run does', async () => {
    // Kills: as 1.7.0's canary starts its one-box, mid-demotion (the halt's event in flight at 35 min), right after
    // it, during 1.7.1's canary soak and during its broad ring.
    const [calm, killed] = await Promise.all([run([]), run(['--restart-at', '15m,35m,50m,5h,7h30m'])]);
    expect(killed.restarts).toBe(5);
    expect(killed.outcome, killed.failures.join('\n')).toBe('passed');
    const outcome = (r: Report) => r.releases.map((x) => ({ version: x.version, finalState: x.finalState, rings: x.rings.map((ring) => Boolean(ring.completedAt)), outside: x.maxInstancesOnVersionOutsideOpenRings }));
    expect(outcome(killed)).toEqual(outcome(calm));
    // One demotion write and the same flag writes; no notice sent twice.
    expect(killed.armCalls.byOperation.GalleryImageVersions_Update).toBe(calm.armCalls.byOperation.GalleryImageVersions_Update);
    expect(killed.chatMessagesReceived).toBe(calm.chatMessagesReceived);
    expect(killed.chatMessagesReceived).toBe(killed.notifications.filter((n) => n.delivered).length);
    // The ledger is append-only across restarts: no row written before a kill differs after it, none missing.
    expect(killed.ledger).toMatchObject({ rewrittenAfterRestart: 0, sequenceGaps: 0 });
    expect(killed.ledger.rows).toBeGreaterThan(0);
    expect(killed.notifications.map((n) => `${n.event}/${n.channel}/${n.version}`).sort()).toEqual(calm.notifications.map((n) => `${n.event}/${n.channel}/${n.version}`).sort());
  });
});
