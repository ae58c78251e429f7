/**
 * What every port shares: classify errors with the RBAC action of the operation, retry them by `retry.ts`, and
 * wait for long-running operations at an injectable poll interval.
 */
import { type PortOperation, primaryAction } from './arm-actions';
import { classifyAzureError } from './errors';
import { type RetryRuntime, withRetry } from './retry';

export interface PortRuntime extends RetryRuntime {
  /** LRO poll interval passed to the SDK as `updateIntervalInMs` (default 2 s; tests use a few ms). */
  lroPollIntervalMs?: number;
  /** Clock for HTTP-date Retry-After values. */
  now?: () => number;
}

/** `fn` over `items`, at most `limit` at a time (a ring of hundreds of sets never opens hundreds of calls); results in input order. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Per-call options, last argument of every port method. */
export interface CallOptions {
  abortSignal?: AbortSignal;
}

/** Runs one SDK call under the port's retry policy; errors come out classified (`Throttled`, `Forbidden`, …). */
export function callArm<T>(
  operation: PortOperation,
  fn: (attempt: number) => Promise<T>,
  runtime: PortRuntime,
  options?: CallOptions,
): Promise<T> {
  const action = primaryAction(operation);
  const now = runtime.now ?? Date.now;
  const signal = options?.abortSignal ?? runtime.signal;
  return withRetry(fn, (e) => classifyAzureError(e, { operation, action, nowMs: now() }), {
    ...runtime,
    ...(signal ? { signal } : {}),
  });
}

export function lroInterval(runtime: PortRuntime): number {
  return runtime.lroPollIntervalMs ?? 2_000;
}

/** Options of methods that start a long-running operation. */
export interface LroCallOptions extends CallOptions {
  /**
   * Await the operation to its end (polling every `lroPollIntervalMs`), or return once ARM has accepted it.
   * Each method documents its default: quick flag writes wait, replication and OS upgrades (minutes to hours) do not.
   */
  waitForCompletion?: boolean;
}

/**
 * Awaits a core-lro poller fully, or only its initial request. A core-lro v3 poller polls only once it is awaited
 * (`then` → `pollUntilDone`), so a submitted-only poller leaves no background polling behind.
 */
export async function settle(poller: Poller, wait: boolean): Promise<void> {
  if (wait) await poller;
  else await poller.submitted();
}

type Poller = PromiseLike<unknown> & { submitted(): Promise<void> };

/**
 * Starts a long-running operation under the port's retry policy (`callArm`) and settles it: to its end, or
 * once ARM accepted it (`options.waitForCompletion`, else the method's `waitByDefault`).
 */
export function callLro(
  operation: PortOperation,
  start: (sdkOptions: { updateIntervalInMs: number; abortSignal?: AbortSignal }) => Poller,
  runtime: PortRuntime,
  options: LroCallOptions | undefined,
  waitByDefault: boolean,
): Promise<void> {
  const sdkOptions = { updateIntervalInMs: lroInterval(runtime), ...(options?.abortSignal ? { abortSignal: options.abortSignal } : {}) };
  return callArm(operation, () => settle(start(sdkOptions), options?.waitForCompletion ?? waitByDefault), runtime, options);
}

/** `East US` and `eastus` name the same region. */
export function normalizeRegion(name: string): string {
  return name.toLowerCase().replace(/\s+/g, '');
}
