/**
 * Slack with a bot token: one thread per release. The first notice of a release in a channel is posted with
 * `chat.postMessage` (`@slack/web-api`'s `WebClient`) and its `ts` remembered; later notices of that release reply
 * in its thread (`thread_ts`). Without a bot token, routes use `slack.ts` (incoming webhook, one message per notice).
 * https://docs.slack.dev/reference/methods/chat.postMessage (scope `chat:write`; the bot must be in the channel).
 *
 * The client is built per attempt, like `slack.ts`'s webhook: its `fetch` is our guarded transport (URL policy at
 * connect time, the attempt's timeout, no redirects), its own retries are off (`retries: 0`) and a 429 is not
 * slept on inside it (`rejectRateLimitedCalls`), so `delivery.ts` alone decides about retries, Retry-After and the
 * deadline, exactly as for the webhooks. The token travels only in the `Authorization` header; the client logs
 * nothing below errors, and no record or error here carries the token.
 *
 * Slack answers HTTP 200 with `{ ok: false, error }` for most failures; `internal_error`, `service_unavailable`,
 * `fatal_error`, `request_timeout` and `ratelimited` are retried, others (`channel_not_found`, `invalid_auth`,
 * `not_in_channel`, …) are final. A failed post records no thread root, so the notice that is retried later (the
 * delivery layer gives its dedupe claim back) becomes the root.
 */
import { ErrorCode, LogLevel, type WebAPIPlatformError, type WebAPIRequestError, WebClient } from '@slack/web-api';
import { type AttemptOutcome, outcomeOfStatus, retryAfterFromHeaders, withTimeout, type Notifier } from './delivery';
import { type GuardedOptions, guardedNotifier } from './guarded-notifier';
import { type HttpResult, transportFetch } from './http-transport';
import { buildSlackMessage } from './slack';

/** Remembers the thread root `ts` per (release, channel); the first root recorded wins. The dedupe table has a durable one. */
export interface ThreadStore {
  get(key: string): string | undefined | Promise<string | undefined>;
  set(key: string, ts: string): void | Promise<void>;
}

export class MemoryThreadStore implements ThreadStore {
  private readonly map = new Map<string, string>();
  get(key: string): string | undefined {
    return this.map.get(key);
  }
  set(key: string, ts: string): void {
    if (!this.map.has(key)) this.map.set(key, ts);
  }
}

export interface SlackThreadOptions extends GuardedOptions {
  /** Bot token (`xoxb-…`), a secret: never logged. */
  token: string;
  /** Channel id, e.g. `C0123456789`. */
  channel: string;
  threads?: ThreadStore;
  /** Slack Web API base, default https://slack.com/api (tests point it at a loopback stub). */
  apiBase?: string;
}

export const SLACK_API_BASE = 'https://slack.com/api';

const RETRYABLE_SLACK_ERRORS = new Set(['internal_error', 'service_unavailable', 'fatal_error', 'request_timeout', 'ratelimited']);

export function createSlackThreadNotifier(options: SlackThreadOptions): Notifier {
  const threads = options.threads ?? new MemoryThreadStore();
  const endpoint = `${(options.apiBase ?? SLACK_API_BASE).replace(/\/+$/, '')}/chat.postMessage`;
  return guardedNotifier('slack', endpoint, 'Slack API URL', options, (notice) => {
    const threadKey = `${notice.releaseId}|${options.channel}`;
    const message = buildSlackMessage(notice);
    return async (url, transport): Promise<AttemptOutcome> => {
      // The thread store is a nicety: when it cannot answer in time the notice goes as a new root rather than not at all.
      const bounded = <T>(call: () => T | Promise<T>) => withTimeout(Promise.resolve().then(call), transport.timeoutMs, 'thread store timed out').catch(() => undefined);
      const threadTs = await bounded(() => threads.get(threadKey));
      let last: HttpResult | undefined;
      const client = new WebClient(options.token, {
        slackApiUrl: new URL('./', url).href,
        fetch: transportFetch(transport, (r) => (last = r)),
        retryConfig: { retries: 0 },
        rejectRateLimitedCalls: true,
        allowAbsoluteUrls: false,
        logLevel: LogLevel.ERROR,
      });
      try {
        const { ts } = await client.chat.postMessage({ channel: options.channel, ...message, ...(threadTs ? { thread_ts: threadTs } : {}) });
        if (!threadTs && ts) await bounded(() => threads.set(threadKey, ts));
        return { ok: true, status: last?.status ?? 200 };
      } catch (e) {
        if (last && last.status !== 200) return outcomeOfStatus(last.status, last.body, retryAfterFromHeaders(last.headers, Date.now()));
        return outcomeOfSlackError(e, last?.status);
      }
    };
  });
}

/** A `WebClient` error after an HTTP 200 (`{ ok: false, error }`) or without a response (network, timeout). */
function outcomeOfSlackError(e: unknown, status: number | undefined): AttemptOutcome {
  const code = (e as { code?: unknown } | null)?.code;
  if (code === ErrorCode.PlatformError) {
    const error = String((e as WebAPIPlatformError).data.error ?? 'unknown_error').slice(0, 200);
    return { ok: false, retryable: RETRYABLE_SLACK_ERRORS.has(error), ...(status !== undefined ? { status } : {}), error: `Slack error ${error}` };
  }
  const cause = code === ErrorCode.RequestError ? (e as WebAPIRequestError).original : e;
  return { ok: false, retryable: true, error: cause instanceof Error ? cause.message : String(cause) };
}
