/** Reading facts out of the Bicep text (there is no Bicep compiler here): small, strict helpers. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const root = join(__dirname, '../..');
export const infra = join(root, 'infra');

export function bicep(file: string): string {
  return readFileSync(join(infra, file), 'utf8');
}

export function allBicep(): string {
  const modules = readdirSync(join(infra, 'modules')).filter((f) => f.endsWith('.bicep'));
  return [bicep('main.bicep'), ...modules.map((m) => bicep(join('modules', m)))].join('\n');
}

/** The quoted strings of the Bicep array property `name: [ ... ]` inside `text`. */
export function arrayProperty(text: string, name: string): string[] {
  const m = new RegExp(`\\b${name}:\\s*\\[([^\\]]*)\\]`).exec(text);
  if (!m) throw new Error(`no ${name}: [ ] in the text`);
  return [...(m[1] ?? '').matchAll(/'([^']*)'/g)].map((x) => x[1] ?? '');
}

/** Text between `// BEGIN marker` and `// END marker`. */
export function marked(text: string, marker: string): string {
  const m = new RegExp(`// BEGIN ${marker}[^\\n]*\\n([\\s\\S]*?)// END ${marker}`).exec(text);
  if (!m) throw new Error(`no BEGIN/END ${marker}`);
  return m[1] ?? '';
}

/** The body of `resource NAME '...' = { ... }`, brace-matched. */
export function resourceBody(text: string, symbolic: string): string {
  const start = text.search(new RegExp(`resource ${symbolic} '`));
  if (start < 0) throw new Error(`no resource ${symbolic}`);
  const open = text.indexOf('{', start);
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return text.slice(open, i + 1);
  }
  throw new Error(`unbalanced braces in ${symbolic}`);
}
