/** Runs `ringmaster rehearse --scenario NAME --json` as a user would, and returns its report. */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Report } from '../../src/local/report';

const root = join(__dirname, '../..');

export async function rehearse(scenario: string, args: string[] = []): Promise<{ status: number | null; report: Report; stdout: string; stderr: string; outDir: string }> {
  const outDir = mkdtempSync(join(tmpdir(), `rm-rehearse-${scenario}-`));
  const child = spawn(process.execPath, [join(root, 'bin/ringmaster.js'), 'rehearse', '--scenario', scenario, '--json', '--out', outDir, ...args], { cwd: root });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const status = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const report = JSON.parse(readFileSync(join(outDir, 'report.json'), 'utf8')) as Report;
  return { status, report, stdout, stderr, outDir };
}
