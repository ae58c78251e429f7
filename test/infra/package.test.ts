/**
 * The deployment package: what .funcignore leaves in (azd zips the project root minus .funcignore, whose rules replace
 * azd's defaults), and that the bundle needs nothing from node_modules at run time.
 */
import { builtinModules } from 'node:module';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root } from './bicep-text';

type Rule = { dirOnly: boolean; anchored: boolean; re: RegExp };

/** The .gitignore subset .funcignore uses: `name`, `dir/`, `a/b`, `*` and `?` globs, `#` comments. */
function rules(text: string): Rule[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((p) => {
      if (/[![\]\\]/.test(p)) throw new Error(`.funcignore: ${p} uses syntax this test does not model`);
      const dirOnly = p.endsWith('/');
      const body = p.replace(/\/$/, '').replace(/^\//, '');
      const glob = body.replace(/[.+^${}()|]/g, '\\$&').replace(/\*\*/g, '\0').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]').replace(/\0/g, '.*');
      return { dirOnly, anchored: body.includes('/') || p.startsWith('/'), re: new RegExp(`^${glob}$`) };
    });
}

function packageFiles(): { path: string; bytes: number }[] {
  const rs = rules(readFileSync(join(root, '.funcignore'), 'utf8'));
  const ignored = (rel: string, dir: boolean) => rs.some((r) => (!r.dirOnly || dir) && r.re.test(r.anchored ? rel : (rel.split('/').pop() ?? '')));
  const out: { path: string; bytes: number }[] = [];
  const walk = (dir: string, rel: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (ignored(r, e.isDirectory())) continue;
      if (e.isDirectory()) walk(join(dir, e.name), r);
      else out.push({ path: r, bytes: statSync(join(dir, e.name)).size });
    }
  };
  walk(root, '');
  return out.sort((a, b) => a.path.localeCompare(b.path));
}

describe('deployment package (.funcignore)', () => {
  const built = existsSync(join(root, 'dist/index.js'));

  it('ships the bundle, host.json, package.json and the plans; not node_modules, the CLI, the benchmarks, maps or sources', () => {
    const files = packageFiles().map((f) => f.path);
    for (const f of ['host.json', 'package.json', 'examples/payments.yaml']) expect(files).toContain(f);
    if (built) expect(files).toContain('dist/index.js');
    expect(files.filter((f) => /^(node_modules|src|test|tools|infra|bench|bin|docs|scripts|\.git)\//.test(f))).toEqual([]);
    expect(files.filter((f) => /^dist\/(cli|bench)\.js$|\.map$|\.ts$|local\.settings\.json$/.test(f))).toEqual([]);
    expect(files.filter((f) => f.startsWith('dist/'))).toEqual(built ? ['dist/index.js'] : []);
    // package.json's main is what the Functions host loads.
    expect((JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { main: string }).main).toBe('dist/index.js');
  });

  it.skipIf(!built)('dist/index.js is self-contained: it requires only Node built-ins and the host-provided @azure/functions-core', () => {
    const bundle = readFileSync(join(root, 'dist/index.js'), 'utf8');
    const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
    const required = new Set([...bundle.matchAll(/\brequire\("([^"]+)"\)/g)].map((m) => m[1] ?? ''));
    // node-fetch's optional charset converter, loaded inside try/catch.
    const optional = new Set(['encoding']);
    expect([...required].filter((m) => !builtins.has(m) && !optional.has(m) && m !== '@azure/functions-core')).toEqual([]);
    expect(bundle).toMatch(/try \{\s*convert = require\("encoding"\)\.convert;\s*\} catch/);
  });

  it.skipIf(!built)('is small: under 16 MiB and 40 files (was 29,461 files and 325 MiB with node_modules)', () => {
    const files = packageFiles();
    const mib = files.reduce((n, f) => n + f.bytes, 0) / 1048576;
    process.stderr.write(`[test/infra] deployment package: ${files.length} files, ${mib.toFixed(1)} MiB\n`);
    expect(files.length).toBeLessThan(40);
    expect(mib).toBeLessThan(16);
  });
});
