/**
 * Slack with a bot token: one thread per release. The first notice of a release in a channel is posted with
 * `chat.postMessage` and its `ts` remembered; later notices of that release reply in its thread (`thread_ts`).
 * Without a bot token, routes use `slack.ts` (incoming webhook, one message per notice).
 * See https://api.slack.com/methods/chat.postMessage
 *
 * Slack answers HTTP 200 with `{ ok: false, error }` for most failures; rate limits come as HTTP 429 with
 * Retry-After. `internal_error`, `service_unavailable`, `fatal_error` and `request_timeout` are retried, others
 * (`channel_not_found`, `invalid_auth`, `not_in_channel`, …) are final.
 */
import { type AttemptOutcome, outcomeOfStatus, retryAfterFromHeaders } from './delivery';
import { type GuardedOptions, guardedNotifier } from './guarded-notifier';
import { postRaw } from './http-transport';
import type { Notifier } from './router';
import { buildSlackMessage } from './slack';

/** Remembers the thread root `ts` per (release, channel). The ledger can provide a durable one. */
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
    this.map.set(key, ts);
  }
}

export interface SlackThreadOptions extends GuardedOptions {
  /** Bot token (`xoxb-…`), a secret: never logged. */
  token: string;
  /** Channel id, e.g. `C0123456789`. */
  channel: string;
  threads?: ThreadStore;
  /** Default https://slack.com/api (tests point it at a loopback sink). */
  apiBase?: string;
}

const RETRYABLE_SLACK_ERRORS = new Set(['internal_error', 'service_unavailable', 'fatal_error', 'request_timeout', 'ratelimited']);

export function createSlackThreadNotifier(options: SlackThreadOptions): Notifier {
  const threads = options.threads ?? new MemoryThreadStore();
  const endpoint = `${(options.apiBase ?? 'https://slack.com/api').replace(/\/+$/, '')}/chat.postMessage`;
  return guardedNotifier('slack', endpoint, 'Slack API URL', options, (notice) => {
    const threadKey = `${notice.releaseId}|${options.channel}`;
    return async (url, transport): Promise<AttemptOutcome> => {
      const threadTs = await threads.get(threadKey);
      const body = JSON.stringify({ channel: options.channel, ...buildSlackMessage(notice), ...(threadTs ? { thread_ts: threadTs } : {}) });
      const r = await postRaw(url, body, { authorization: `Bearer ${options.token}`, 'content-type': 'application/json; charset=utf-8' }, transport);
      if (r.status !== 200) return outcomeOfStatus(r.status, r.body, retryAfterFromHeaders(r.headers, Date.now()));
      let reply: { ok?: boolean; ts?: string; error?: string };
      try {
        reply = JSON.parse(r.body) as typeof reply;
      } catch {
        return { ok: false, retryable: true, status: r.status, error: 'Slack answered with a body that is not JSON' };
      }
      if (!reply.ok) {
        const error = reply.error ?? 'unknown_error';
        return { ok: false, retryable: RETRYABLE_SLACK_ERRORS.has(error), status: r.status, error: `Slack error ${error}` };
      }
      if (!threadTs && reply.ts) await threads.set(threadKey, reply.ts);
      return { ok: true, status: r.status };
    };
  });
}
