/**
 * What a Bicep compiler would catch first, checked without one: balanced brackets, and every module call passing
 * exactly the parameters the module declares (all required ones, no unknown ones), outputs that exist.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bicep, infra } from './bicep-text';

const files = ['main.bicep', ...readdirSync(join(infra, 'modules')).filter((f) => f.endsWith('.bicep')).map((f) => `modules/${f}`)];

/**
 * The code of a Bicep file with comments and string literals removed, interpolations (`${…}`) kept as code, so that
 * brackets inside strings and comments do not count. Multi-line `\'\'\'` strings are treated as plain strings.
 */
function code(text: string): string {
  let out = '';
  // Stack of contexts: 'code' at the bottom; 'string' inside '…'; 'interp' inside ${…} of a string (with brace depth).
  const stack: { kind: 'code' | 'string' | 'interp'; depth: number }[] = [{ kind: 'code', depth: 0 }];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] ?? '';
    const top = stack[stack.length - 1] ?? { kind: 'code', depth: 0 };
    if (top.kind === 'string') {
      if (ch === '\\') i++;
      else if (ch === "'") stack.pop();
      else if (ch === '$' && text[i + 1] === '{') {
        stack.push({ kind: 'interp', depth: 0 });
        i++;
      }
      continue;
    }
    if (ch === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
      continue;
    }
    if (ch === '/' && text[i + 1] === '*') {
      i = text.indexOf('*/', i + 2) + 1;
      continue;
    }
    if (ch === "'") {
      stack.push({ kind: 'string', depth: 0 });
      continue;
    }
    if (top.kind === 'interp') {
      if (ch === '{') top.depth++;
      else if (ch === '}') {
        if (top.depth === 0) {
          stack.pop();
          continue;
        }
        top.depth--;
      }
    }
    out += ch;
  }
  expect(stack.length, 'unterminated string or interpolation').toBe(1);
  return out;
}

function declaredParams(text: string): { name: string; required: boolean }[] {
  return [...text.matchAll(/^param (\w+) [\w.]+( =)?/gm)].map((m) => ({ name: m[1] ?? '', required: m[2] === undefined }));
}

function declaredOutputs(text: string): string[] {
  return [...text.matchAll(/^output (\w+) /gm)].map((m) => m[1] ?? '');
}

/** Module calls in a file: symbolic name, path, and the keys of its params block. */
function moduleCalls(text: string): { symbol: string; path: string; params: string[] }[] {
  const out: { symbol: string; path: string; params: string[] }[] = [];
  for (const m of text.matchAll(/^module (\w+) '([^']+)'/gm)) {
    const from = (m.index ?? 0) + m[0].length;
    const p = text.indexOf('params: {', from);
    let depth = 0;
    let end = p;
    for (let i = p + 'params: '.length; i < text.length; i++) {
      if (text[i] === '{') depth++;
      else if (text[i] === '}' && --depth === 0) {
        end = i;
        break;
      }
    }
    const body = text.slice(p + 'params: {'.length, end);
    out.push({ symbol: m[1] ?? '', path: m[2] ?? '', params: [...body.matchAll(/^\s{4,6}(\w+):/gm)].map((x) => x[1] ?? '') });
  }
  return out;
}

describe('Bicep files', () => {
  for (const f of files) {
    it(`${f}: balanced (), [], {}`, () => {
      const c = code(bicep(f));
      for (const [open, close] of [['(', ')'], ['[', ']'], ['{', '}']] as const) {
        let depth = 0;
        for (const ch of c) {
          if (ch === open) depth++;
          if (ch === close) depth--;
          expect(depth, `${f}: ${close} before ${open}`).toBeGreaterThanOrEqual(0);
        }
        expect(depth, `${f}: unclosed ${open}`).toBe(0);
      }
    });
  }

  it('main.bicep passes every module exactly its declared parameters', () => {
    const main = bicep('main.bicep');
    for (const call of moduleCalls(main)) {
      const declared = declaredParams(bicep(call.path));
      const names = declared.map((d) => d.name);
      expect(call.params.filter((p) => !names.includes(p)), `${call.symbol}: unknown params`).toEqual([]);
      expect(declared.filter((d) => d.required && !call.params.includes(d.name)).map((d) => d.name), `${call.symbol}: missing params`).toEqual([]);
    }
  });

  it('every module output main.bicep uses exists', () => {
    const main = bicep('main.bicep');
    const calls = new Map(moduleCalls(main).map((c) => [c.symbol, declaredOutputs(bicep(c.path))]));
    for (const m of main.matchAll(/\b(\w+)\.outputs\.(\w+)/g)) {
      const outputs = calls.get(m[1] ?? '');
      expect(outputs, `module ${m[1]}`).toBeDefined();
      expect(outputs, `${m[1]}.outputs.${m[2]}`).toContain(m[2]);
    }
  });

  it('every parameter a module declares is used in it', () => {
    for (const f of files) {
      const text = bicep(f);
      for (const p of declaredParams(text)) {
        const uses = text.split(/\n/).filter((line) => !line.startsWith('param ') && new RegExp(`\\b${p.name}\\b`).test(line));
        expect(uses.length, `${f}: param ${p.name} unused`).toBeGreaterThan(0);
      }
    }
  });
});
