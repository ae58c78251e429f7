/**
 * Bounded, jittered retries that honour Retry-After.
 *
 * The decision (`nextRetryDelay`) is pure: given the attempt count, the classified error and the policy, it says
 * whether to retry and after how long. `withRetry` is the only place that sleeps, through an injected `sleep`.
 *
 * The Azure SDK clients are built with `retryOptions: { maxRetries: 0 }` (see `client-options.ts`) so that this is
 * the only retry layer: stacked layers would multiply (SDK 3 × ours 4 = 12 calls) and the SDK's policy would sleep
 * on a real clock that tests cannot control.
 */
import { backoffMs } from '../http/retry-timing';
import { AzureError, type AzureErrorKind } from './errors';

export interface RetryPolicy {
  /** Total attempts including the first (≥ 1). */
  maxAttempts: number;
  /** First back-off for transient errors; doubles per attempt. */
  baseDelayMs: number;
  /** Cap on one exponential back-off. */
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the error surfaces so the caller can reschedule. */
  maxRetryAfterMs: number;
  /** Error kinds worth another attempt. */
  retryOn: readonly AzureErrorKind[];
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 500,
  maxDelayMs: 15_000,
  maxRetryAfterMs: 60_000,
  retryOn: ['throttled', 'transient'],
};

export interface RetryState {
  /** Attempts made so far (1 after the first failure). */
  attempt: number;
  /** The classified error of the last attempt. */
  error: AzureError;
}

export type RetryDecision = { retry: true; delayMs: number } | { retry: false; reason: string };

/**
 * Decides the next step after a failed attempt.
 *
 * Back-off for attempt n (1-based) is `min(maxDelayMs, baseDelayMs · 2^(n-1))`, jittered into `[½·d, d]`
 * ("equal jitter": never zero, so a herd still spreads). A server-sent Retry-After replaces the back-off when it is
 * longer; it is never shortened by jitter.
 *
 * @example nextRetryDelay({ attempt: 1, error: new Transient('x') }, DEFAULT_RETRY_POLICY, () => 1) // { retry: true, delayMs: 500 }
 * @example nextRetryDelay({ attempt: 3, error: new Transient('x') }, DEFAULT_RETRY_POLICY, () => 0) // { retry: true, delayMs: 1000 }
 * @example nextRetryDelay({ attempt: 1, error: new Throttled('x', 17_000) }, DEFAULT_RETRY_POLICY, () => 0) // { retry: true, delayMs: 17000 }
 */
export function nextRetryDelay(
  state: RetryState,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  random: () => number = Math.random,
): RetryDecision {
  const { attempt, error } = state;
  if (!policy.retryOn.includes(error.kind)) return { retry: false, reason: `${error.kind} is not retried` };
  if (attempt >= policy.maxAttempts) return { retry: false, reason: `gave up after ${attempt} attempts` };
  const backoff = backoffMs(attempt, policy, random);
  const retryAfterMs = 'retryAfterMs' in error && typeof error.retryAfterMs === 'number' ? error.retryAfterMs : undefined;
  if (retryAfterMs !== undefined) {
    if (retryAfterMs > policy.maxRetryAfterMs) {
      return { retry: false, reason: `Retry-After ${retryAfterMs} ms exceeds ${policy.maxRetryAfterMs} ms` };
    }
    return { retry: true, delayMs: Math.max(retryAfterMs, error.kind === 'throttled' ? 0 : backoff) };
  }
  return { retry: true, delayMs: backoff };
}

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** Real sleep, abortable. */
export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

export interface RetryRuntime {
  policy?: RetryPolicy;
  sleep?: Sleep;
  random?: () => number;
  signal?: AbortSignal;
  /** Observer for logs and tests: called before each wait. */
  onRetry?: (info: { attempt: number; delayMs: number; error: AzureError }) => void;
}

/**
 * Runs `operation` until it succeeds or `nextRetryDelay` says stop; errors are classified by `classify` first,
 * and the last classified error is thrown.
 */
export async function withRetry<T>(
  operation: (attempt: number) => Promise<T>,
  classify: (error: unknown) => AzureError,
  runtime: RetryRuntime = {},
): Promise<T> {
  const policy = runtime.policy ?? DEFAULT_RETRY_POLICY;
  const sleep = runtime.sleep ?? realSleep;
  const random = runtime.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (raw) {
      const error = classify(raw);
      const decision = nextRetryDelay({ attempt, error }, policy, random);
      if (!decision.retry) throw error;
      runtime.onRetry?.({ attempt, delayMs: decision.delayMs, error });
      await sleep(decision.delayMs, runtime.signal);
    }
  }
}
