/**
 * Azure errors, classified once inside the adapters so that callers branch on a class, never on a status code.
 *
 * ARM answers 429 with `Retry-After` when a throttling bucket is empty, 5xx when a front end or resource provider
 * hiccups, 409/412 when another writer got there first, 404 when a resource is gone and 401/403 when the identity
 * lacks an RBAC action. See https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling
 */
import { parseRetryAfter, type HeaderBag } from '../http/retry-timing';

export type AzureErrorKind = 'throttled' | 'transient' | 'conflict' | 'not-found' | 'forbidden' | 'fatal';

export interface AzureErrorOptions {
  cause?: unknown;
  statusCode?: number;
  /** The Azure error code from the response body, e.g. `ResourceNotFound`, `AuthorizationFailed`. */
  code?: string;
  /** The port operation that failed, e.g. `gallery.getVersion`. */
  operation?: string;
}

/** Base class of every error an adapter throws. `cause` keeps the original SDK error. */
export abstract class AzureError extends Error {
  abstract readonly kind: AzureErrorKind;
  readonly statusCode: number | undefined;
  readonly code: string | undefined;
  readonly operation: string | undefined;

  constructor(message: string, options: AzureErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.statusCode = options.statusCode;
    this.code = options.code;
    this.operation = options.operation;
  }
}

/** HTTP 429 (or 503 with Retry-After): wait `retryAfterMs` before the next call to the same bucket. */
export class Throttled extends AzureError {
  readonly kind = 'throttled' as const;
  // Explicit, so the name survives bundlers that rename classes.
  override readonly name = 'Throttled';
  constructor(
    message: string,
    readonly retryAfterMs: number | undefined,
    options: AzureErrorOptions = {},
  ) {
    super(message, options);
  }
}

/** A failure worth retrying: 408, 5xx, connection reset or refused, timeouts. */
export class Transient extends AzureError {
  readonly kind = 'transient' as const;
  override readonly name = 'Transient';
  constructor(
    message: string,
    options: AzureErrorOptions & { retryAfterMs?: number } = {},
  ) {
    super(message, options);
    this.retryAfterMs = options.retryAfterMs;
  }
  readonly retryAfterMs: number | undefined;
}

/** 409/412, or a read-modify-write that saw someone else's change: re-read and decide again. */
export class Conflict extends AzureError {
  readonly kind = 'conflict' as const;
  override readonly name = 'Conflict';
}

/** 404: the resource (or its parent) does not exist. */
export class NotFound extends AzureError {
  readonly kind = 'not-found' as const;
  override readonly name = 'NotFound';
}

/** 401/403: the identity lacks `action` (an Azure RBAC action such as `Microsoft.Compute/galleries/images/versions/write`). */
export class Forbidden extends AzureError {
  readonly kind = 'forbidden' as const;
  override readonly name = 'Forbidden';
  constructor(
    message: string,
    readonly action: string,
    options: AzureErrorOptions = {},
  ) {
    super(message, options);
  }
}

/** Anything else: a bad request, a failed long-running operation, a programming error. Not retried. */
export class Fatal extends AzureError {
  readonly kind = 'fatal' as const;
  override readonly name = 'Fatal';
}

/** One readable line for any thrown value (logs, ledger, notifications). */
export function toErrorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  if (typeof error === 'string') return error;
  if (error === null || error === undefined) return String(error);
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}

/** The duck-typed subset of `@azure/core-rest-pipeline`'s RestError that we read (so we need not import that package). */
interface RestErrorLike {
  name: string;
  message: string;
  code?: unknown;
  statusCode?: unknown;
  response?: { headers?: HeaderBag; bodyAsText?: string | null };
  details?: unknown;
}

function isRestErrorLike(value: unknown): value is RestErrorLike {
  return value instanceof Error && (value.name === 'RestError' || 'statusCode' in value);
}

const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'REQUEST_SEND_ERROR',
  'UND_ERR_SOCKET',
]);

const TLS_FAILURE = /certificate|CERT_|SSL routines|unable to verify|self[- ]signed/i;

/** Reads `{ error: { code, message } }` from an ARM error body, if any. */
function armErrorFromBody(error: RestErrorLike): { code?: string; message?: string } {
  const fromDetails = readArmError(error.details);
  if (fromDetails.code !== undefined) return fromDetails;
  const text = error.response?.bodyAsText;
  if (!text) return {};
  try {
    return readArmError(JSON.parse(text));
  } catch {
    return {};
  }
}

function readArmError(body: unknown): { code?: string; message?: string } {
  if (typeof body !== 'object' || body === null) return {};
  const inner = 'error' in body ? (body as { error: unknown }).error : body;
  if (typeof inner !== 'object' || inner === null) return {};
  const { code, message } = inner as { code?: unknown; message?: unknown };
  return {
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof message === 'string' ? { message } : {}),
  };
}

export interface ClassifyContext {
  /** Port operation name for messages, e.g. `fleet.getLatestRollingUpgrade`. */
  operation: string;
  /** The RBAC action the call needs; named by `Forbidden`. */
  action: string;
  /** Clock for HTTP-date `Retry-After` values. */
  nowMs?: number;
}

/**
 * Maps anything an SDK call threw to one of our classes. Already-classified errors pass through unchanged.
 *
 * | status / cause                | class       |
 * |-------------------------------|-------------|
 * | 429                           | Throttled   |
 * | 503 with Retry-After          | Throttled   |
 * | 408, 500, 502, 503, 504, net  | Transient   |
 * | 409, 412                      | Conflict    |
 * | 404                           | NotFound    |
 * | 401, 403                      | Forbidden   |
 * | anything else                 | Fatal       |
 */
export function classifyAzureError(error: unknown, context: ClassifyContext): AzureError {
  if (error instanceof AzureError) return error;
  const operation = context.operation;
  if (isRestErrorLike(error)) {
    const status = typeof error.statusCode === 'number' ? error.statusCode : undefined;
    const body = armErrorFromBody(error);
    const code = body.code ?? (typeof error.code === 'string' ? error.code : undefined);
    const detail = body.message ?? error.message;
    const options: AzureErrorOptions = { cause: error, operation };
    if (status !== undefined) options.statusCode = status;
    if (code !== undefined) options.code = code;
    const prefix = `${operation}: ${status === undefined ? '' : `HTTP ${status} `}${code ?? ''}`.trim();
    const message = `${prefix}: ${detail}`;
    const retryAfterMs = error.response?.headers
      ? parseRetryAfter(error.response.headers, context.nowMs ?? Date.now())
      : undefined;
    if (status === undefined) {
      // A certificate the process does not trust will not become trusted by retrying.
      if (TLS_FAILURE.test(error.message)) return new Fatal(`${message} (is the endpoint's CA trusted? see RINGMASTER_ARM_CA_FILE)`, options);
      if (code !== undefined && NETWORK_CODES.has(code)) return new Transient(message, options);
      return new Fatal(message, options);
    }
    if (status === 429) return new Throttled(message, retryAfterMs, options);
    if (status === 503 && retryAfterMs !== undefined) return new Throttled(message, retryAfterMs, options);
    if (status === 408 || status === 500 || status === 502 || status === 503 || status === 504) {
      return new Transient(message, retryAfterMs === undefined ? options : { ...options, retryAfterMs });
    }
    if (status === 409 || status === 412) return new Conflict(message, options);
    if (status === 404) return new NotFound(message, options);
    if (status === 401 || status === 403) {
      return new Forbidden(`${message} (needs RBAC action ${context.action})`, context.action, options);
    }
    return new Fatal(message, options);
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) {
      return new Transient(`${operation}: ${error.message}`, { cause: error, operation, code });
    }
    return new Fatal(`${operation}: ${error.message}`, { cause: error, operation });
  }
  return new Fatal(`${operation}: ${toErrorMessage(error)}`, { cause: error, operation });
}
