/**
 * The real Bicep compiler for the infra tests: where to find it, how to run it, and what to do when there is none.
 *
 * Looked for, in order: `RINGMASTER_BICEP` (a path to the binary), the NuGet package restored by `.ci/run` into
 * tools/bicep/packages (version pinned in tools/bicep/bicep.csproj), `bicep` on PATH, and the copy `az bicep install`
 * leaves in ~/.azure/bin. Without one the compiler tests skip and say why; `RINGMASTER_REQUIRE_BICEP=1` (CI) turns that
 * skip into a failure.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join, relative } from 'node:path';
import { beforeAll, describe, it } from 'vitest';
import { infra, root } from './bicep-text';

export const PACKAGE = 'Azure.Bicep.CommandLine.linux-x64';

export type BicepCli = { path: string; version: string; source: string };
export type Lookup = { cli: BicepCli } | { cli?: undefined; reason: string };

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function pinnedVersion(): string | undefined {
  const csproj = join(root, 'tools/bicep/bicep.csproj');
  if (!existsSync(csproj)) return undefined;
  return new RegExp(`Include="${PACKAGE.replace(/\./g, '\\.')}" Version="([^"]+)"`).exec(readFileSync(csproj, 'utf8'))?.[1];
}

function versionOf(path: string): string {
  const out = execFileSync(path, ['--version'], { encoding: 'utf8', timeout: 60_000 });
  return /Bicep CLI version (\S+)/.exec(out)?.[1] ?? out.trim();
}

let cached: Lookup | undefined;

export function findBicep(): Lookup {
  if (cached) return cached;
  const candidates: { path: string; source: string }[] = [];
  const fromEnv = process.env.RINGMASTER_BICEP;
  if (fromEnv) {
    if (!executable(fromEnv)) return (cached = { reason: `RINGMASTER_BICEP=${fromEnv} is not an executable file (did the NuGet restore in .ci/run fail?)` });
    candidates.push({ path: fromEnv, source: 'RINGMASTER_BICEP' });
  }
  const pinned = pinnedVersion();
  if (pinned) candidates.push({ path: join(root, 'tools/bicep/packages', PACKAGE.toLowerCase(), pinned, 'tools/bicep'), source: `NuGet ${PACKAGE} ${pinned} in tools/bicep/packages` });
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) candidates.push({ path: join(dir, 'bicep'), source: 'bicep on PATH' });
  candidates.push({ path: join(homedir(), '.azure/bin/bicep'), source: 'az bicep (~/.azure/bin)' });
  for (const c of candidates) {
    if (!executable(c.path)) continue;
    try {
      return (cached = { cli: { ...c, version: versionOf(c.path) } });
    } catch (e) {
      if (c.source === 'RINGMASTER_BICEP') return (cached = { reason: `RINGMASTER_BICEP=${c.path} does not run: ${String(e)}` });
    }
  }
  return (cached = {
    reason:
      `no Bicep CLI found (RINGMASTER_BICEP unset, tools/bicep/packages not restored, no bicep on PATH or in ~/.azure/bin). ` +
      `Restore it with: dotnet restore tools/bicep/bicep.csproj --packages tools/bicep/packages`,
  });
}

export const bicepRequired = process.env.RINGMASTER_REQUIRE_BICEP === '1';

/**
 * `describe` for tests that need the compiler: with no compiler, one skipped test that says why (and a line on stderr),
 * or, when RINGMASTER_REQUIRE_BICEP=1, one failing test.
 */
export function describeWithBicep(name: string, body: (cli: BicepCli) => void): void {
  const found = findBicep();
  if (found.cli) {
    const cli = found.cli;
    describe(name, () => body(cli));
    return;
  }
  const reason = found.reason;
  describe(name, () => {
    if (bicepRequired) {
      it('needs the Bicep CLI (RINGMASTER_REQUIRE_BICEP=1)', () => {
        throw new Error(`RINGMASTER_REQUIRE_BICEP=1 but ${reason}`);
      });
    } else {
      process.stderr.write(`[test/infra] skipped "${name}": ${reason}\n`);
      it.skip(`skipped: ${reason}`, () => undefined);
    }
  });
}

export type Diagnostic = { file: string; line: number; column: number; level: 'Error' | 'Warning' | 'Info'; code: string; message: string };

/** `path(line,col) : Level CODE: message` lines of the Bicep CLI's default diagnostics format. */
export function parseDiagnostics(output: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const m of output.matchAll(/^(.+?)\((\d+),(\d+)\) : (Error|Warning|Info) ([^:\s]+): (.*)$/gm)) {
    out.push({ file: relative(root, m[1] ?? ''), line: Number(m[2]), column: Number(m[3]), level: m[4] as Diagnostic['level'], code: m[5] ?? '', message: m[6] ?? '' });
  }
  return out;
}

export function formatDiagnostics(ds: Diagnostic[]): string {
  return ds.map((d) => `${d.file}(${d.line},${d.column}) ${d.level} ${d.code}: ${d.message}`).join('\n');
}

export type Run = { status: number | null; stdout: string; stderr: string; diagnostics: Diagnostic[]; ms: number };

export function runBicep(cli: BicepCli, args: string[], cwd = root): Run {
  const started = Date.now();
  const r = spawnSync(cli.path, args, { cwd, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, diagnostics: parseDiagnostics(r.stderr), ms: Date.now() - started };
}

/** Every .bicep file under infra/, relative to the repository root. */
export function bicepFiles(dir = infra): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...bicepFiles(p));
    else if (entry.name.endsWith('.bicep')) out.push(relative(root, p));
  }
  return out.sort();
}

/** An ARM template as the compiler writes it (languageVersion 1.0: resources is an array). */
export type ArmTemplate = {
  $schema: string;
  languageVersion?: string;
  parameters?: Record<string, { type: string; defaultValue?: unknown; metadata?: { description?: string } }>;
  variables?: Record<string, unknown>;
  resources: ArmResource[] | Record<string, ArmResource>;
  outputs?: Record<string, { type: string; value: unknown }>;
};

export type ArmResource = {
  type: string;
  apiVersion: string;
  name: string;
  scope?: string;
  subscriptionId?: string;
  resourceGroup?: string;
  location?: string;
  condition?: unknown;
  copy?: { name: string; count: unknown };
  properties?: Record<string, unknown> & { template?: ArmTemplate };
  [key: string]: unknown;
};

/** A resource with the chain of module deployments it sits in (outermost first). */
export type Located = { resource: ArmResource; modules: ArmResource[] };

export function resourcesOf(template: ArmTemplate): ArmResource[] {
  return Array.isArray(template.resources) ? template.resources : Object.values(template.resources);
}

/** Every resource of a template and of its nested module deployments, depth first. */
export function allResources(template: ArmTemplate, modules: ArmResource[] = []): Located[] {
  const out: Located[] = [];
  for (const r of resourcesOf(template)) {
    out.push({ resource: r, modules });
    if (r.type === 'Microsoft.Resources/deployments' && r.properties?.template) out.push(...allResources(r.properties.template, [...modules, r]));
  }
  return out;
}

/** The module deployment named `name` (the `name:` of a Bicep module) anywhere in the template. */
export function moduleNamed(template: ArmTemplate, name: string | RegExp): ArmResource {
  const found = allResources(template).filter(
    ({ resource: r }) => r.type === 'Microsoft.Resources/deployments' && (typeof name === 'string' ? r.name === name : name.test(r.name)),
  );
  if (found.length !== 1) throw new Error(`expected one module deployment ${String(name)}, found ${found.length}`);
  return found[0]!.resource;
}

export function moduleTemplate(template: ArmTemplate, name: string | RegExp): ArmTemplate {
  const t = moduleNamed(template, name).properties?.template;
  if (!t) throw new Error(`module ${String(name)} has no inline template`);
  return t;
}

export function ofType(template: ArmTemplate, type: string): ArmResource[] {
  return allResources(template)
    .filter(({ resource }) => resource.type.toLowerCase() === type.toLowerCase())
    .map(({ resource }) => resource);
}

/**
 * `bicep build FILE --stdout`, parsed, cached on disk by the content of infra/ and the compiler (several test files
 * read main.json; one compile serves them all). Throws on any diagnostic: the compile test reports those in detail.
 */
export function compileToArm(cli: BicepCli, file = 'infra/main.bicep'): ArmTemplate {
  const hash = createHash('sha256').update(cli.path).update(cli.version).update(file);
  for (const f of [...bicepFiles(), 'infra/bicepconfig.json']) {
    const p = join(root, f);
    if (existsSync(p)) hash.update(f).update(readFileSync(p));
  }
  const dir = join(tmpdir(), 'ringmaster-bicep-cache');
  const cachedFile = join(dir, `${hash.digest('hex').slice(0, 32)}.json`);
  if (existsSync(cachedFile)) return JSON.parse(readFileSync(cachedFile, 'utf8')) as ArmTemplate;
  const r = runBicep(cli, ['build', file, '--stdout']);
  if (r.status !== 0 || r.diagnostics.length > 0) throw new Error(`bicep build ${file} failed (exit ${r.status}):\n${r.stderr}`);
  mkdirSync(dir, { recursive: true });
  const partial = `${cachedFile}.${process.pid}.tmp`;
  writeFileSync(partial, r.stdout);
  renameSync(partial, cachedFile);
  return JSON.parse(r.stdout) as ArmTemplate;
}

/**
 * `describe` over the compiled ARM JSON of infra/main.bicep (or another file): compiled once before the tests, read
 * through `arm()`. Skips or fails like describeWithBicep when there is no compiler.
 */
export function describeWithArm(name: string, body: (arm: () => ArmTemplate) => void, file = 'infra/main.bicep'): void {
  describeWithBicep(name, (cli) => {
    let template: ArmTemplate | undefined;
    beforeAll(() => {
      template = compileToArm(cli, file);
    }, 120_000);
    body(() => {
      if (!template) throw new Error(`${file} was not compiled`);
      return template;
    });
  });
}
