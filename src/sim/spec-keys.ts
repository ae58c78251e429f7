// Unknown keys in a document checked against a strict zod schema, each named by its path with the nearest known key
// suggested: `sim.timeline[3].acton: unknown key; did you mean action?`. zod alone reports a misspelt discriminator
// as "no matching discriminator" and an unknown key without a suggestion; a person fixing a file wants the line above.
import type { z } from 'zod';

export interface UnknownKey {
  path: (string | number)[];
  key: string;
  suggestion: string | undefined;
  /** `path.key: unknown key; did you mean X?` */
  line: string;
}

type Def = { type: string } & Record<string, unknown>;
const defOf = (s: unknown): Def => (s as { _zod: { def: Def } })._zod.def;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** ['sim', 'timeline', 3, 'acton'] → "sim.timeline[3].acton". */
export function formatSpecPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out === '' ? '(root)' : out;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] ?? 0;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] ?? 0;
      prev[j] = Math.min(up + 1, (prev[j - 1] ?? 0) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length] ?? 0;
}

/**
 * The known key nearest to `key`: a case change, at most two edits (one for keys of four letters or fewer), or a
 * known key that the unknown one begins (`exclude` → `excludeFromLatest`, at least four letters).
 */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const same = known.find((k) => k.toLowerCase() === lower);
  if (same) return same;
  const limit = key.length <= 4 ? 1 : 2;
  let best: { k: string; d: number } | undefined;
  for (const k of known) {
    const d = editDistance(lower, k.toLowerCase());
    if (d <= limit && (!best || d < best.d)) best = { k, d };
  }
  if (best) return best.k;
  return key.length >= 4 ? known.find((k) => k.toLowerCase().startsWith(lower)) : undefined;
}

function keysOf(def: Def): string[] {
  return Object.keys((def.shape as Record<string, unknown> | undefined) ?? {});
}

/** Every key of `value` that the strict objects of `schema` do not know, depth first in document order. */
export function unknownKeys(schema: z.ZodType, value: unknown, prefix: (string | number)[] = []): UnknownKey[] {
  const out: UnknownKey[] = [];
  walk(schema, value, prefix, out);
  return out;
}

function report(out: UnknownKey[], path: (string | number)[], key: string, known: string[]): void {
  const suggestion = nearestKey(key, known);
  out.push({ path, key, suggestion, line: `${formatSpecPath([...path, key])}: unknown key${suggestion ? `; did you mean ${suggestion}?` : ''}` });
}

function walk(schema: unknown, value: unknown, path: (string | number)[], out: UnknownKey[]): void {
  const def = defOf(schema);
  switch (def.type) {
    case 'optional':
    case 'default':
    case 'prefault':
    case 'nullable':
    case 'readonly':
    case 'catch':
      return walk(def.innerType, value, path, out);
    case 'pipe':
      return walk(def.in, value, path, out);
    case 'array':
      if (Array.isArray(value)) value.forEach((v, i) => walk(def.element, v, [...path, i], out));
      return;
    case 'record':
      if (isObject(value)) for (const [k, v] of Object.entries(value)) walk(def.valueType, v, [...path, k], out);
      return;
    case 'object': {
      if (!isObject(value)) return;
      const shape = (def.shape as Record<string, unknown> | undefined) ?? {};
      const strict = def.catchall !== undefined && defOf(def.catchall).type === 'never';
      for (const [k, v] of Object.entries(value)) {
        if (k in shape) walk(shape[k], v, [...path, k], out);
        else if (strict) report(out, path, k, Object.keys(shape));
      }
      return;
    }
    case 'union': {
      const options = (def.options as unknown[] | undefined) ?? [];
      const discriminator = def.discriminator as string | undefined;
      if (discriminator && isObject(value)) {
        const chosen = options.find((o) => {
          const d = defOf(o);
          const lit = (d.shape as Record<string, unknown> | undefined)?.[discriminator];
          return lit !== undefined && ((defOf(lit).values as unknown[] | undefined) ?? []).includes(value[discriminator]);
        });
        if (chosen) return walk(chosen, value, path, out);
        // No (or an unknown) discriminator: judge the keys against every option's.
        const known = [...new Set(options.flatMap((o) => keysOf(defOf(o))))];
        for (const k of Object.keys(value)) if (!known.includes(k)) report(out, path, k, known);
        return;
      }
      if ((options as z.ZodType[]).some((o) => o.safeParse(value).success)) return;
      let best: UnknownKey[] | undefined;
      for (const o of options) {
        if (isObject(value) !== (defOf(o).type === 'object')) continue;
        const found: UnknownKey[] = [];
        walk(o, value, path, found);
        if (!best || found.length < best.length) best = found;
      }
      out.push(...(best ?? []));
      return;
    }
    default:
      return;
  }
}
