// A small validator for Azure OpenAPI 2.0 response definitions: resolves $ref across files in the fixtures
// folder, follows allOf, checks types, required, enums (when not modelAsString), date-times, and reports
// properties the definition does not declare (strict). x-ms-examples are ignored.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

type Schema = Record<string, unknown>;
interface Resolved {
  schema: Schema;
  file: string;
  name?: string;
}

export class OpenApi {
  private readonly files = new Map<string, Schema>();
  constructor(private readonly entry: string) {}

  private load(file: string): Schema {
    let doc = this.files.get(file);
    if (!doc) {
      doc = JSON.parse(readFileSync(file, 'utf8')) as Schema;
      this.files.set(file, doc);
    }
    return doc;
  }

  private deref(s: Schema, file: string): Resolved {
    let cur: Resolved = { schema: s, file };
    for (let i = 0; i < 20 && typeof cur.schema.$ref === 'string'; i++) {
      const ref = cur.schema.$ref as string;
      const [path, pointer] = ref.split('#');
      const target = path ? resolve(dirname(cur.file), path) : cur.file;
      let node: unknown = this.load(target);
      for (const part of (pointer ?? '').split('/').filter(Boolean)) node = (node as Schema)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
      if (!node) throw new Error(`unresolved $ref ${ref} from ${cur.file}`);
      cur = { schema: node as Schema, file: target, name: (pointer ?? '').split('/').pop() ?? '' };
    }
    return cur;
  }

  /** The response schema of an operation, by operationId and status code. */
  responseSchema(operationId: string, status: string): Resolved {
    const doc = this.load(this.entry);
    for (const methods of Object.values(doc.paths as Record<string, Record<string, Schema>>)) {
      for (const op of Object.values(methods)) {
        if (op.operationId !== operationId) continue;
        const responses = op.responses as Record<string, Schema>;
        const r = responses[status] ?? responses.default;
        if (!r?.schema) throw new Error(`${operationId} has no schema for ${status}`);
        return { schema: r.schema as Schema, file: this.entry };
      }
    }
    throw new Error(`no operation ${operationId} in ${this.entry}`);
  }

  definition(name: string): Resolved {
    return { schema: { $ref: `#/definitions/${name}` }, file: this.entry };
  }

  private collectProps(r: Resolved, out: Map<string, Resolved>, required: Set<string>): { additional: boolean } {
    const s = this.deref(r.schema, r.file);
    let additional = s.schema.additionalProperties !== undefined && s.schema.additionalProperties !== false;
    for (const [k, v] of Object.entries((s.schema.properties as Record<string, Schema> | undefined) ?? {})) out.set(k, { schema: v, file: s.file });
    for (const k of (s.schema.required as string[] | undefined) ?? []) required.add(k);
    for (const sub of (s.schema.allOf as Schema[] | undefined) ?? []) {
      if (this.collectProps({ schema: sub, file: s.file }, out, required).additional) additional = true;
    }
    return { additional };
  }

  validate(value: unknown, r: Resolved, path = '$', errors: string[] = []): string[] {
    const s = this.deref(r.schema, r.file);
    const schema = s.schema;
    const type = schema.type as string | undefined;
    const isObjectSchema = type === 'object' || schema.properties !== undefined || schema.allOf !== undefined;
    if (value === null || value === undefined) return errors;
    if (type === 'string') {
      if (typeof value !== 'string') errors.push(`${path}: expected string, got ${typeof value}`);
      else {
        const xe = schema['x-ms-enum'] as { modelAsString?: boolean } | undefined;
        const en = schema.enum as string[] | undefined;
        if (en && !(xe?.modelAsString ?? false) && !en.includes(value)) errors.push(`${path}: '${value}' not in enum [${en.join(', ')}]`);
        if (schema.format === 'date-time' && Number.isNaN(Date.parse(value))) errors.push(`${path}: '${value}' is not a date-time`);
      }
      return errors;
    }
    if (type === 'integer' || type === 'number') {
      if (typeof value !== 'number' || (type === 'integer' && !Number.isInteger(value))) errors.push(`${path}: expected ${type}, got ${JSON.stringify(value)}`);
      return errors;
    }
    if (type === 'boolean') {
      if (typeof value !== 'boolean') errors.push(`${path}: expected boolean, got ${JSON.stringify(value)}`);
      return errors;
    }
    if (type === 'array') {
      if (!Array.isArray(value)) errors.push(`${path}: expected array`);
      else value.forEach((v, i) => this.validate(v, { schema: schema.items as Schema, file: s.file }, `${path}[${i}]`, errors));
      return errors;
    }
    if (isObjectSchema) {
      if (typeof value !== 'object' || Array.isArray(value)) {
        errors.push(`${path}: expected object`);
        return errors;
      }
      const disc = schema.discriminator as string | undefined;
      if (disc && s.name) {
        const tag = (value as Record<string, unknown>)[disc];
        const defs = (this.load(s.file).definitions ?? {}) as Record<string, Schema>;
        const sub = Object.entries(defs).find(
          ([, d]) => d['x-ms-discriminator-value'] === tag && ((d.allOf as Schema[] | undefined) ?? []).some((a) => String(a.$ref ?? '').endsWith(`/definitions/${s.name ?? ''}`)),
        );
        if (sub) return this.validate(value, { schema: sub[1], file: s.file, name: sub[0] }, path, errors);
        if (tag !== undefined) errors.push(`${path}.${disc}: '${String(tag)}' matches no subtype of ${s.name}`);
      }
      const props = new Map<string, Resolved>();
      const required = new Set<string>();
      const { additional } = this.collectProps(s, props, required);
      const obj = value as Record<string, unknown>;
      for (const k of required) if (obj[k] === undefined) errors.push(`${path}.${k}: required`);
      for (const [k, v] of Object.entries(obj)) {
        const p = props.get(k);
        if (p) this.validate(v, p, `${path}.${k}`, errors);
        else if (!additional && props.size > 0) errors.push(`${path}.${k}: not declared in the definition`);
      }
    }
    return errors;
  }
}
