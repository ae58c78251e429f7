/** The core is pure: no node: modules, no @azure/*, no shell layers, no clock, no randomness, no env. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '../..');
const core = join(root, 'src/core');

describe('layers', () => {
  const files = readdirSync(core).filter((f) => f.endsWith('.ts'));
  it.each(files)('src/core/%s stays pure', (file) => {
    const text = readFileSync(join(core, file), 'utf8');
    const imports = [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1]!);
    for (const spec of imports) expect(spec === 'zod' || spec.startsWith('./'), `${file} imports ${spec}`).toBe(true);
    expect(text).not.toMatch(/\bDate\.now\(|new Date\(\)|Math\.random|process\.|require\(/);
  });

  it('the simulator shares no code with the adapters', () => {
    const simDir = join(root, 'src/sim');
    const sim = readdirSync(simDir, { recursive: true }).map(String).filter((f) => f.endsWith('.ts'));
    for (const f of sim) expect(readFileSync(join(simDir, f), 'utf8'), f).not.toMatch(/from '\.\.\/(azure|core|notify|functions)/);
  });

  it('no committed .only', () => {
    const tests = readdirSync(join(root, 'test'), { recursive: true }).map(String).filter((f) => f.endsWith('.ts'));
    for (const f of tests) expect(readFileSync(join(root, 'test', f), 'utf8'), f).not.toMatch(/\b(it|describe|test)\.only\(/);
  });
});

describe('dependencies point inwards', () => {
  const layer = (dir: string) => readdirSync(join(root, 'src', dir), { recursive: true }).map(String).filter((f) => f.endsWith('.ts')).map((f) => [f, readFileSync(join(root, 'src', dir, f), 'utf8')] as const);
  const forbidden: Record<string, string[]> = {
    http: ['core', 'azure', 'notify', 'ledger', 'app', 'functions', 'local', 'cli', 'sim'],
    azure: ['notify', 'ledger', 'app', 'functions', 'local', 'cli', 'sim'],
    notify: ['azure', 'ledger', 'app', 'functions', 'local', 'cli', 'sim'],
    ledger: ['azure', 'notify', 'app', 'functions', 'local', 'cli', 'sim'],
    app: ['functions', 'local', 'cli', 'sim'],
  };
  it.each(Object.entries(forbidden))('src/%s imports none of the outer layers', (dir, outer) => {
    for (const [file, text] of layer(dir)) {
      for (const o of outer) expect(text, `src/${dir}/${file} imports src/${o}`).not.toMatch(new RegExp(`from '(\\.\\./)+${o}(/|')`));
    }
  });
});
