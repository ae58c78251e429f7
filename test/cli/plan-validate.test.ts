/** `ringmaster plan validate` through the built binary, as a user runs it. */
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '../..');
const bin = join(root, 'bin/ringmaster.js');
const ringmaster = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8' });

describe('ringmaster plan validate', () => {
  it('prints ok and the rings of the payments plan', () => {
    const r = ringmaster('plan', 'validate', 'examples/payments.yaml');
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('ok');
    expect(r.stdout).toContain('ring 0 canary: eastus · soak 30m');
    expect(r.stdout).toContain('ring 2 broad: northeurope, westeurope, southeastasia, australiaeast');
  });

  it('prints every error with its path and exits 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rm-plan-'));
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, readFileSync(join(root, 'examples/payments.yaml'), 'utf8').replace('soak: 0s', 'soak: later').replace('lever: regional-flag', 'lever: flags'));
    const r = ringmaster('plan', 'validate', file);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('rings[2].soak: expected a duration like "30m"');
    expect(r.stdout).toContain('lever: Invalid option');
  });

  it('names the line of a YAML syntax error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rm-plan-'));
    const file = join(dir, 'syntax.yaml');
    writeFileSync(file, 'image: x\nrings:\n  - name: [unclosed\n');
    const r = ringmaster('plan', 'validate', file);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/syntax\.yaml:\d+:/);
  });

  it('teaches with --help and rejects unknown commands', () => {
    expect(execFileSync(process.execPath, [bin, '--help'], { encoding: 'utf8' })).toContain('plan validate');
    const r = ringmaster('nonsense');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown command "nonsense"');
  });
});
