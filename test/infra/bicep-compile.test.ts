/**
 * The real Bicep compiler over infra/: every file builds and lints with 0 errors and 0 warnings under
 * infra/bicepconfig.json (the core linter rules on), and the check itself can fail (a broken copy is caught).
 * Skips, saying why, where no Bicep CLI is found; fails instead when RINGMASTER_REQUIRE_BICEP=1 (.ci/run).
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { bicepFiles, describeWithBicep, formatDiagnostics, runBicep } from './bicep-cli';
import { infra } from './bicep-text';

type Config = { analyzers: { core: { enabled: boolean; rules: Record<string, { level: string }> } } };
const config = JSON.parse(readFileSync(join(infra, 'bicepconfig.json'), 'utf8')) as Config;

/** Rules left off, each with its reason (anything else off fails the config test). */
const OFF: Record<string, string> = {};

it('infra/bicepconfig.json turns the core linter rules on, as warnings or errors', () => {
  expect(config.analyzers.core.enabled).toBe(true);
  const rules = config.analyzers.core.rules;
  // The rules Bicep enables by default, and the stricter ones it leaves off by default.
  for (const r of ['no-unused-params', 'no-unused-vars', 'no-hardcoded-env-urls', 'outputs-should-not-contain-secrets', 'secure-secrets-in-params', 'use-resource-symbol-reference', 'use-safe-access', 'use-recent-api-versions', 'use-secure-value-for-secure-inputs']) {
    expect(rules[r]?.level, r).toMatch(/^(warning|error)$/);
  }
  for (const [name, rule] of Object.entries(rules)) {
    if (rule.level === 'off') expect(OFF[name], `${name} is off without a reason in bicep-compile.test.ts`).toBeDefined();
    else expect(rule.level, name).toMatch(/^(warning|error)$/);
  }
});

describeWithBicep('Bicep CLI over infra/', (cli) => {
  const files = bicepFiles();
  const work = mkdtempSync(join(tmpdir(), 'ringmaster-bicep-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it(`finds the files and the compiler (Bicep ${cli.version}, ${cli.source})`, () => {
    expect(files).toContain('infra/main.bicep');
    expect(files.length).toBeGreaterThan(5);
    expect(cli.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('bicep build: every infra/**/*.bicep compiles with 0 errors and 0 warnings', () => {
    const out = join(work, 'build');
    const r = runBicep(cli, ['build', '--pattern', 'infra/**/*.bicep', '--outdir', out]);
    expect(formatDiagnostics(r.diagnostics), r.stderr).toBe('');
    expect(r.status, r.stderr).toBe(0);
    for (const f of files) {
      const json = join(out, f.replace(/^infra\//, '').replace(/\.bicep$/, '.json'));
      expect(existsSync(json), json).toBe(true);
      expect((JSON.parse(readFileSync(json, 'utf8')) as { $schema: string }).$schema).toMatch(/[dD]eploymentTemplate\.json#$/);
    }
    process.stderr.write(`[test/infra] bicep build of ${files.length} files: ${r.ms} ms\n`);
  });

  it('bicep build --stdout: main.bicep is one ARM template on stdout, nothing on stderr', () => {
    const r = runBicep(cli, ['build', 'infra/main.bicep', '--stdout']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toHaveProperty('resources');
  });

  it('bicep lint: 0 errors and 0 warnings in every file', () => {
    const r = runBicep(cli, ['lint', '--pattern', 'infra/**/*.bicep']);
    expect(formatDiagnostics(r.diagnostics), r.stderr).toBe('');
    expect(r.stderr.trim()).toBe('');
    expect(r.status).toBe(0);
  });

  it('fails on a broken copy: an error in a module call, and a linter warning, are both reported', () => {
    const copy = join(work, 'broken');
    cpSync(infra, copy, { recursive: true });
    // An unknown module parameter: a compile error.
    const main = join(copy, 'main.bicep');
    const original = readFileSync(main, 'utf8');
    writeFileSync(main, original.replace("name: 'monitoring'\n  scope: rg\n  params: {\n", "name: 'monitoring'\n  scope: rg\n  params: {\n    noSuchParameter: 'x'\n"));
    expect(readFileSync(main, 'utf8')).not.toBe(original);
    const broken = runBicep(cli, ['build', main, '--stdout']);
    expect(broken.status).not.toBe(0);
    expect(broken.diagnostics.some((d) => d.level === 'Error' && d.file.endsWith('main.bicep')), broken.stderr).toBe(true);
    // An unused parameter: a linter warning (exit code 0, so the tests read the diagnostics, not the status).
    const storage = join(copy, 'modules/storage.bicep');
    writeFileSync(storage, `${readFileSync(storage, 'utf8')}\nparam neverUsed string = 'x'\n`);
    const linted = runBicep(cli, ['lint', storage]);
    expect(linted.diagnostics.map((d) => `${d.level} ${d.code}`), linted.stderr).toContain('Warning no-unused-params');
  });
});
