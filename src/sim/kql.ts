// The subset of KQL (Azure Resource Graph's query language) the simulator understands. Anything else is a
// KqlError naming the part that is not supported. See docs/simulator.md for the grammar.

export class KqlError extends Error {}

type Tok = { t: 'id' | 'str' | 'num' | 'op' | 'pipe' | 'lp' | 'rp' | 'comma'; v: string; pos: number };

const OPS = ['!contains', '!startswith', '!has', '!in~', '!in', 'in~', '=~', '!~', '==', '!=', '>=', '<=', '>', '<', '='];

function tokenize(q: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < q.length) {
    const c = q[i] ?? '';
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '|') out.push({ t: 'pipe', v: c, pos: i++ });
    else if (c === '(') out.push({ t: 'lp', v: c, pos: i++ });
    else if (c === ')') out.push({ t: 'rp', v: c, pos: i++ });
    else if (c === ',') out.push({ t: 'comma', v: c, pos: i++ });
    else if (c === "'" || c === '"') {
      let j = i + 1;
      let s = '';
      while (j < q.length && q[j] !== c) {
        if (q[j] === '\\' && j + 1 < q.length) j++;
        s += q[j];
        j++;
      }
      if (j >= q.length) throw new KqlError(`unterminated string literal at position ${i}`);
      out.push({ t: 'str', v: s, pos: i });
      i = j + 1;
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?/.exec(q.slice(i));
      out.push({ t: 'num', v: m?.[0] ?? c, pos: i });
      i += m?.[0].length ?? 1;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*|\[['"][^'"]+['"]\])*/.exec(q.slice(i));
      const word = m?.[0] ?? c;
      const rest = q.slice(i + word.length);
      // keyword operators that begin with a letter: in, in~, contains, startswith, has
      if (/^in$/i.test(word) && rest.startsWith('~')) {
        out.push({ t: 'op', v: 'in~', pos: i });
        i += 3;
        continue;
      }
      out.push({ t: /^(in|contains|startswith|has)$/i.test(word) ? 'op' : 'id', v: /^(in|contains|startswith|has)$/i.test(word) ? word.toLowerCase() : word, pos: i });
      i += word.length;
    } else {
      const op = OPS.find((o) => q.startsWith(o, i));
      if (!op) throw new KqlError(`unsupported character '${c}' at position ${i}`);
      out.push({ t: 'op', v: op, pos: i });
      i += op.length;
    }
  }
  return out;
}

type Value = string | number | boolean | null;
type Operand = { path: string[]; fn: 'tolower' | 'tostring' | undefined };
type Expr =
  | { k: 'and' | 'or'; a: Expr; b: Expr }
  | { k: 'not'; a: Expr }
  | { k: 'cmp'; left: Operand; op: string; right: Value | Value[] };

export type Stage =
  | { k: 'where'; e: Expr }
  | { k: 'project'; cols: { name: string; src: Operand }[] }
  | { k: 'order'; keys: { src: Operand; desc: boolean }[] }
  | { k: 'limit'; n: number }
  | { k: 'count' };

export interface KqlQuery {
  table: string;
  stages: Stage[];
}

function splitPath(p: string): string[] {
  const out: string[] = [];
  const re = /([A-Za-z_][A-Za-z0-9_]*)|\[['"]([^'"]+)['"]\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(p)) !== null) out.push(m[1] ?? m[2] ?? '');
  return out;
}

class Parser {
  private i = 0;
  constructor(private readonly toks: Tok[]) {}
  peek(): Tok | undefined {
    return this.toks[this.i];
  }
  next(): Tok {
    const t = this.toks[this.i++];
    if (!t) throw new KqlError('unexpected end of query');
    return t;
  }
  word(): string | undefined {
    const t = this.peek();
    return t?.t === 'id' ? t.v.toLowerCase() : undefined;
  }
  expect(t: Tok['t'], what: string): Tok {
    const n = this.next();
    if (n.t !== t) throw new KqlError(`expected ${what} but found '${n.v}' at position ${n.pos}`);
    return n;
  }
  atStageEnd(): boolean {
    const t = this.peek();
    return !t || t.t === 'pipe';
  }

  query(): KqlQuery {
    const table = this.expect('id', 'a table name').v;
    if (table.toLowerCase() !== 'resources') throw new KqlError(`unsupported table '${table}' (only 'resources' is supported)`);
    const stages: Stage[] = [];
    while (this.peek()) {
      this.expect('pipe', "'|'");
      stages.push(this.stage());
    }
    return { table, stages };
  }

  stage(): Stage {
    const t = this.expect('id', 'an operator');
    const w = t.v.toLowerCase();
    if (w === 'where') return { k: 'where', e: this.expr() };
    if (w === 'project') {
      const cols: { name: string; src: Operand }[] = [];
      do {
        if (this.peek()?.t === 'comma') this.next();
        const first = this.expect('id', 'a column');
        if (this.peek()?.t === 'op' && this.peek()?.v === '=') {
          this.next();
          cols.push({ name: first.v, src: this.operand() });
        } else {
          this.i--;
          const src = this.operand();
          cols.push({ name: src.path.join('_'), src });
        }
      } while (this.peek()?.t === 'comma');
      if (!this.atStageEnd()) throw new KqlError(`unsupported syntax in project near '${this.peek()?.v ?? ''}'`);
      return { k: 'project', cols };
    }
    if (w === 'order' || w === 'sort') {
      const by = this.expect('id', "'by'");
      if (by.v.toLowerCase() !== 'by') throw new KqlError(`expected 'by' after '${w}'`);
      const keys: { src: Operand; desc: boolean }[] = [];
      do {
        if (this.peek()?.t === 'comma') this.next();
        const src = this.operand();
        let desc = true;
        const dir = this.word();
        if (dir === 'asc' || dir === 'desc') {
          this.next();
          desc = dir === 'desc';
        }
        keys.push({ src, desc });
      } while (this.peek()?.t === 'comma');
      return { k: 'order', keys };
    }
    if (w === 'limit' || w === 'take') return { k: 'limit', n: Number(this.expect('num', 'a number').v) };
    if (w === 'count') return { k: 'count' };
    throw new KqlError(`unsupported operator '${t.v}' (supported: where, project, order by, sort by, limit, take, count)`);
  }

  expr(): Expr {
    let a = this.andExpr();
    while (this.word() === 'or') {
      this.next();
      a = { k: 'or', a, b: this.andExpr() };
    }
    return a;
  }
  andExpr(): Expr {
    let a = this.unary();
    while (this.word() === 'and') {
      this.next();
      a = { k: 'and', a, b: this.unary() };
    }
    return a;
  }
  unary(): Expr {
    if (this.word() === 'not') {
      this.next();
      this.expect('lp', "'('");
      const e = this.expr();
      this.expect('rp', "')'");
      return { k: 'not', a: e };
    }
    if (this.peek()?.t === 'lp') {
      this.next();
      const e = this.expr();
      this.expect('rp', "')'");
      return e;
    }
    const left = this.operand();
    const opTok = this.next();
    if (opTok.t !== 'op' || opTok.v === '=') throw new KqlError(`unsupported comparison '${opTok.v}' at position ${opTok.pos}`);
    if (opTok.v === 'in' || opTok.v === 'in~' || opTok.v === '!in' || opTok.v === '!in~') {
      this.expect('lp', "'(' after in");
      const list: Value[] = [];
      while (this.peek()?.t !== 'rp') {
        list.push(this.value());
        if (this.peek()?.t === 'comma') this.next();
      }
      this.next();
      return { k: 'cmp', left, op: opTok.v, right: list };
    }
    return { k: 'cmp', left, op: opTok.v, right: this.value() };
  }
  operand(): Operand {
    const t = this.expect('id', 'a column or property path');
    if (this.peek()?.t === 'lp') {
      const fn = t.v.toLowerCase();
      if (fn !== 'tolower' && fn !== 'tostring') throw new KqlError(`unsupported function '${t.v}()' (supported: tolower, tostring)`);
      this.next();
      const inner = this.expect('id', 'a property path');
      this.expect('rp', "')'");
      return { path: splitPath(inner.v), fn };
    }
    return { path: splitPath(t.v), fn: undefined };
  }
  value(): Value {
    const t = this.next();
    if (t.t === 'str') return t.v;
    if (t.t === 'num') return Number(t.v);
    if (t.t === 'id' && /^(true|false)$/i.test(t.v)) return t.v.toLowerCase() === 'true';
    if (t.t === 'id' && /^null$/i.test(t.v)) return null;
    throw new KqlError(`unsupported value '${t.v}' at position ${t.pos} (use a string, number or boolean literal)`);
  }
}

export function parseKql(q: string): KqlQuery {
  return new Parser(tokenize(q)).query();
}

type Row = Record<string, unknown>;

function get(row: Row, o: Operand): unknown {
  let v: unknown = row;
  for (const p of o.path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[p];
  }
  if (o.fn === 'tolower') return typeof v === 'string' ? v.toLowerCase() : v === undefined ? '' : String(v).toLowerCase();
  if (o.fn === 'tostring') return v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return v;
}

function str(v: unknown): string {
  return v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function evalExpr(e: Expr, row: Row): boolean {
  switch (e.k) {
    case 'and':
      return evalExpr(e.a, row) && evalExpr(e.b, row);
    case 'or':
      return evalExpr(e.a, row) || evalExpr(e.b, row);
    case 'not':
      return !evalExpr(e.a, row);
    case 'cmp': {
      const l = get(row, e.left);
      const r = e.right;
      const ls = str(l);
      switch (e.op) {
        case '==':
          return Array.isArray(r) ? false : typeof r === 'string' ? ls === r : l === r;
        case '!=':
          return Array.isArray(r) ? true : typeof r === 'string' ? ls !== r : l !== r;
        case '=~':
          return ls.toLowerCase() === str(r).toLowerCase();
        case '!~':
          return ls.toLowerCase() !== str(r).toLowerCase();
        case 'in':
          return Array.isArray(r) && r.some((x) => (typeof x === 'string' ? ls === x : l === x));
        case '!in':
          return Array.isArray(r) && !r.some((x) => (typeof x === 'string' ? ls === x : l === x));
        case 'in~':
          return Array.isArray(r) && r.some((x) => ls.toLowerCase() === str(x).toLowerCase());
        case '!in~':
          return Array.isArray(r) && !r.some((x) => ls.toLowerCase() === str(x).toLowerCase());
        case 'contains':
          return ls.toLowerCase().includes(str(r).toLowerCase());
        case '!contains':
          return !ls.toLowerCase().includes(str(r).toLowerCase());
        case 'startswith':
          return ls.toLowerCase().startsWith(str(r).toLowerCase());
        case '!startswith':
          return !ls.toLowerCase().startsWith(str(r).toLowerCase());
        case 'has':
          return new RegExp(`(^|[^A-Za-z0-9])${str(r).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^A-Za-z0-9])`, 'i').test(ls);
        case '!has':
          return !new RegExp(`(^|[^A-Za-z0-9])${str(r).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^A-Za-z0-9])`, 'i').test(ls);
        case '>':
        case '<':
        case '>=':
        case '<=': {
          const a = Number(l);
          const b = Number(r);
          return e.op === '>' ? a > b : e.op === '<' ? a < b : e.op === '>=' ? a >= b : a <= b;
        }
        default:
          throw new KqlError(`unsupported comparison '${e.op}'`);
      }
    }
  }
}

export function runKql(q: KqlQuery, rows: Row[]): Row[] {
  let out = rows;
  for (const s of q.stages) {
    if (s.k === 'where') out = out.filter((r) => evalExpr(s.e, r));
    else if (s.k === 'project') out = out.map((r) => Object.fromEntries(s.cols.map((c) => [c.name, get(r, c.src) ?? null])));
    else if (s.k === 'limit') out = out.slice(0, s.n);
    else if (s.k === 'count') out = [{ Count: out.length }];
    else if (s.k === 'order') {
      out = [...out].sort((a, b) => {
        for (const k of s.keys) {
          const x = get(a, k.src);
          const y = get(b, k.src);
          const c = typeof x === 'number' && typeof y === 'number' ? x - y : str(x).localeCompare(str(y));
          if (c !== 0) return k.desc ? -c : c;
        }
        return 0;
      });
    }
  }
  return out;
}
