/**
 * Locates the shared Azure fixtures (real, public Azure samples; see their README for provenance). They are read in
 * place, never copied: `RINGMASTER_AZURE_FIXTURES` or `../shared/azure-fixtures` relative to the project root.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const projectRoot = resolve(__dirname, '..', '..');
export const fixturesDir = resolve(projectRoot, process.env.RINGMASTER_AZURE_FIXTURES ?? '../shared/azure-fixtures');
export const fixturesPresent = existsSync(join(fixturesDir, 'README.md'));
export const fixturesSkipReason = `Azure fixtures not found at ${fixturesDir} (set RINGMASTER_AZURE_FIXTURES); real-sample cases skipped`;

if (!fixturesPresent) console.warn(fixturesSkipReason);

export function readFixture(relativePath: string): unknown {
  return JSON.parse(readFileSync(join(fixturesDir, relativePath), 'utf8'));
}

export function listFixtures(relativeDir: string): string[] {
  const dir = join(fixturesDir, relativeDir);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(relativeDir, f));
}
