/** `ringmaster rehearse`: scenario files are strict, paths resolve against the current directory, --list, expectedToFail. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = join(__dirname, '../..');
const bin = join(root, 'bin/ringmaster.js');
const ringmaster = (args: string[], cwd = root) => spawnSync(process.execPath, [bin, 'rehearse', ...args], { cwd, encoding: 'utf8', timeout: 120_000 });

/** A scenario file in a fresh directory, its fleet and plan given as absolute paths. */
function scenarioFile(body: string, name = 'scenario.yaml'): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'rm-rehearse-cli-'));
  const file = join(dir, name);
  writeFileSync(file, `fleet: ${join(root, 'examples/fleets/payments.yaml')}\nplan: ${join(root, 'examples/payments.yaml')}\n${body}`);
  return { dir, file };
}

const misspelt = `name: typo
duration: 1h
sim:
  timeline:
    - { at: 10m, action: makeUnhealthy, percent: 10 }
    - { at: 20m, action: makeUnhealthy, percent: 10 }
    - { at: 30m, action: makeUnhealthy, percent: 10 }
    - { at: 40m, acton: makeUnhealthy, percent: 10 }
expect:
  releases: []
`;

describe('ringmaster rehearse: scenario files', () => {
  it('a misspelt key in the sim block exits 2 naming its path and the nearest key', () => {
    const { file } = scenarioFile(misspelt);
    const r = ringmaster(['--scenario', file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('sim.timeline[3].acton: unknown key; did you mean action?');
  });

  it('a misspelt top-level key and a bad health rule are named too', () => {
    const { file } = scenarioFile('name: typo\nexpectedToFial: "some issue"\nsim:\n  health:\n    - { version: 1.7.0, unhealthyPercent: 140 }\nexpect:\n  releases: []\n');
    const r = ringmaster(['--scenario', file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('expectedToFial: unknown key; did you mean expectedToFail?');
    expect(r.stderr).toMatch(/sim\.health\[0\]\.unhealthyPercent: /);
  });

  it('a relative --scenario path resolves against the current directory, not the install folder', () => {
    const { dir } = scenarioFile(misspelt, 'mine.yaml');
    const r = ringmaster(['--scenario', 'mine.yaml'], dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(join(dir, 'mine.yaml'));
    expect(r.stderr).toContain('sim.timeline[3].acton: unknown key; did you mean action?');
    const missing = ringmaster(['--scenario', './nope.yaml'], dir);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain(`cannot read scenario ${join(dir, 'nope.yaml')}`);
  });

  it('an unknown scenario name exits 2 and points at --list', () => {
    const r = ringmaster(['--scenario', 'no-such-story']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--list');
  });

  it('--list prints the library, one line each: name — description', () => {
    const r = ringmaster(['--list']);
    expect(r.status).toBe(0);
    const files = readdirSync(join(root, 'examples/scenarios')).filter((f) => f.endsWith('.yaml')).sort();
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(files.length);
    for (const f of files) {
      const doc = parse(readFileSync(join(root, 'examples/scenarios', f), 'utf8')) as { name: string; description: string };
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^${doc.name}\\s+— ${doc.description.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`)));
    }
    expect(r.stdout).toMatch(/^payments\s+— /m);
  });
});

describe('ringmaster rehearse: expectedToFail', () => {
  it('a marked scenario that passes exits 1 and says to remove the marker', () => {
    // Nothing is published and nothing is expected: it passes after one step, so marked expected-to-fail it is news.
    const { file } = scenarioFile('name: passes\nduration: 30m\nexpectedToFail: "Some issue that was fixed"\nexpect:\n  releases: []\n');
    const r = ringmaster(['--scenario', file, '--no-baseline', '--out', join(tmpdir(), `rm-etf-${process.pid}`)]);
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toContain('UNEXPECTEDLY PASSED');
    expect(r.stdout).toContain('remove expectedToFail');
    expect(r.stdout).toContain('Some issue that was fixed');
  });
});
