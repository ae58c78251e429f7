// Azure-shaped errors: {"error":{"code","message","target?","details?"}} with the HTTP status ARM uses.

export interface ArmErrorBody {
  code: string;
  message: string;
  target?: string;
  details?: { code: string; message: string; target?: string }[];
}

export class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: { target?: string; details?: ArmErrorBody['details']; headers?: Record<string, string> } = {},
  ) {
    super(message);
  }
  body(): { error: ArmErrorBody } {
    const error: ArmErrorBody = { code: this.code, message: this.message };
    if (this.extra.target !== undefined) error.target = this.extra.target;
    if (this.extra.details !== undefined) error.details = this.extra.details;
    return { error };
  }
}

export const notFound = (type: string, name: string, rg?: string): ArmError =>
  new ArmError(
    404,
    'ResourceNotFound',
    `The Resource '${type}/${name}' under resource group '${rg ?? ''}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  );

export const parentNotFound = (what: string): ArmError =>
  new ArmError(404, 'ParentResourceNotFound', `Can not perform requested operation on nested resource. Parent resource '${what}' not found.`);

export const invalidParameter = (target: string, message: string): ArmError =>
  new ArmError(400, 'InvalidParameter', message, { target });

export const badRequest = (code: string, message: string, target?: string): ArmError =>
  new ArmError(400, code, message, target === undefined ? {} : { target });

/** Turns zod-style issues into an Azure 400 naming the first bad field. */
export function fromIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[], prefix = ''): ArmError {
  const first = issues[0];
  const path = first ? formatPath(first.path, prefix) : prefix;
  const message = first ? `Invalid value for '${path}': ${first.message}` : 'The request content is invalid.';
  return new ArmError(400, 'InvalidParameter', message, {
    target: path,
    details: issues.slice(0, 10).map((i) => ({ code: 'InvalidParameter', target: formatPath(i.path, prefix), message: i.message })),
  });
}

export function formatPath(path: readonly PropertyKey[], prefix = ''): string {
  let out = prefix;
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out;
}
