/**
 * A small parser for ARM template expressions ("[union(createObject('a', parameters('x')), variables('y'))]"), enough
 * to read what the compiled JSON says where Bicep emits an expression instead of a literal (app settings, role names).
 */
export type Expr =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'call'; name: string; args: Expr[] }
  | { kind: 'property'; target: Expr; name: string }
  | { kind: 'index'; target: Expr; index: Expr };

export function isExpression(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith('[') && !value.startsWith('[[') && value.endsWith(']');
}

export function parseExpression(text: string): Expr {
  if (!isExpression(text)) throw new Error(`not an ARM expression: ${text}`);
  const src = text.slice(1, -1);
  let i = 0;
  const ws = () => {
    while (i < src.length && /\s/.test(src[i] ?? '')) i++;
  };
  const expect = (ch: string) => {
    ws();
    if (src[i] !== ch) throw new Error(`expected ${ch} at ${i} in ${text}`);
    i++;
  };
  const primary = (): Expr => {
    ws();
    const ch = src[i] ?? '';
    if (ch === "'") {
      let value = '';
      i++;
      for (;;) {
        if (i >= src.length) throw new Error(`unterminated string in ${text}`);
        if (src[i] === "'") {
          if (src[i + 1] === "'") {
            value += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        value += src[i++];
      }
      return { kind: 'string', value };
    }
    if (/[-\d]/.test(ch)) {
      const m = /^-?\d+(\.\d+)?/.exec(src.slice(i));
      if (!m) throw new Error(`bad number at ${i} in ${text}`);
      i += m[0].length;
      return { kind: 'number', value: Number(m[0]) };
    }
    const m = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(src.slice(i));
    if (!m) throw new Error(`unexpected ${ch} at ${i} in ${text}`);
    i += m[0].length;
    const args: Expr[] = [];
    expect('(');
    ws();
    if (src[i] === ')') i++;
    else {
      for (;;) {
        args.push(expr());
        ws();
        if (src[i] === ',') {
          i++;
          continue;
        }
        expect(')');
        break;
      }
    }
    return { kind: 'call', name: m[0], args };
  };
  const expr = (): Expr => {
    let e = primary();
    for (;;) {
      ws();
      if (src[i] === '.') {
        i++;
        const m = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(src.slice(i));
        if (!m) throw new Error(`bad property at ${i} in ${text}`);
        i += m[0].length;
        e = { kind: 'property', target: e, name: m[0] };
      } else if (src[i] === '[') {
        i++;
        const index = expr();
        expect(']');
        e = { kind: 'index', target: e, index };
      } else return e;
    }
  };
  const out = expr();
  ws();
  if (i !== src.length) throw new Error(`trailing text at ${i} in ${text}`);
  return out;
}

/** Prints an expression back in ARM syntax (without the brackets), for messages and for matching. */
export function print(e: Expr): string {
  switch (e.kind) {
    case 'string':
      return `'${e.value.replace(/'/g, "''")}'`;
    case 'number':
      return String(e.value);
    case 'call':
      return `${e.name}(${e.args.map(print).join(', ')})`;
    case 'property':
      return `${print(e.target)}.${e.name}`;
    case 'index':
      return `${print(e.target)}[${print(e.index)}]`;
  }
}

/** Every call of `name` anywhere inside `e`. */
export function callsOf(e: Expr, name: string): Extract<Expr, { kind: 'call' }>[] {
  const out: Extract<Expr, { kind: 'call' }>[] = [];
  const walk = (x: Expr) => {
    if (x.kind === 'call') {
      if (x.name.toLowerCase() === name.toLowerCase()) out.push(x);
      x.args.forEach(walk);
    } else if (x.kind === 'property') walk(x.target);
    else if (x.kind === 'index') {
      walk(x.target);
      walk(x.index);
    }
  };
  walk(e);
  return out;
}

/** The key → value-expression pairs of every createObject(...) inside `e` (keys must be literals). */
export function objectEntries(e: Expr): Map<string, Expr> {
  const out = new Map<string, Expr>();
  for (const call of callsOf(e, 'createObject')) {
    for (let k = 0; k + 1 < call.args.length; k += 2) {
      const key = call.args[k];
      if (key?.kind === 'string') out.set(key.value, call.args[k + 1]!);
    }
  }
  return out;
}
