/**
 * Slack through an incoming webhook with `@slack/webhook` (Block Kit). One message per notice.
 * The library's own retries stay off (`retryConfig: { retries: 0 }`, its default) and its `fetch` is our guarded
 * transport, so the URL policy, timeouts and the retry budget of `delivery.ts` apply exactly as for Teams.
 */
import type { KnownBlock } from '@slack/types';
import { IncomingWebhook } from '@slack/webhook';
import { escapeMrkdwn } from './chat-text';
import { outcomeOfStatus, retryAfterFromHeaders, type Notifier } from './delivery';
import { guardedNotifier } from './guarded-notifier';
import { type HttpResult, transportFetch } from './http-transport';
import { type Notice, noticeFacts, noticeLinks, noticeTitle, noticeTone } from './notice';
import type { WebhookNotifierOptions } from './teams';

const EMOJI = { attention: ':red_circle:', warning: ':large_yellow_circle:', good: ':large_green_circle:' } as const;

/** Slack's limits: header text 150, section text 3000, field text 2000, ≤ 10 fields, button text 75. */
function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

export { escapeMrkdwn };

/** Typed against Block Kit (`@slack/types`, the types `@slack/webhook` and `@slack/web-api` take), so tsc refuses a malformed block. */
export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

/**
 * One message: a plain-text header (Slack does not parse plain_text), the summary, the facts as fields, the next
 * step, link buttons and a context line. Every mrkdwn string, and the top-level `text` (the notification and
 * fallback, which Slack parses as mrkdwn too), carries free text only through `escapeMrkdwn`.
 */
export function buildSlackMessage(notice: Notice): SlackMessage {
  const title = noticeTitle(notice);
  const facts = noticeFacts(notice, escapeMrkdwn).slice(0, 10);
  const blocks: SlackMessage['blocks'] = [
    { type: 'header', text: { type: 'plain_text', text: clip(title, 150), emoji: true } },
    {
      type: 'section',
      text: { type: 'mrkdwn', text: clip(`${EMOJI[noticeTone(notice.kind)]} ${escapeMrkdwn(notice.summary)}`, 3000) },
    },
    {
      type: 'section',
      fields: facts.map((f) => ({ type: 'mrkdwn', text: clip(`*${f.title}*\n${f.value}`, 2000) })),
    },
  ];
  if (notice.nextStep) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(`*Next step:* ${escapeMrkdwn(notice.nextStep)}`, 3000) } });
  }
  const links = noticeLinks(notice).slice(0, 25);
  blocks.push({
    type: 'actions',
    elements: links.map((l, i) => ({
      type: 'button',
      text: { type: 'plain_text', text: clip(l.title, 75) },
      url: l.url,
      action_id: `ringmaster-link-${i}`,
    })),
  });
  blocks.push({
    type: 'context',
    elements: [{ type: 'mrkdwn', text: `Ringmaster · release ${escapeMrkdwn(notice.releaseId)} · ${escapeMrkdwn(notice.occurredAt)}` }],
  });
  return { text: clip(`${noticeTitle(notice, escapeMrkdwn)}: ${escapeMrkdwn(notice.summary)}`, 3000), blocks };
}

export function createSlackNotifier(options: WebhookNotifierOptions): Notifier {
  return guardedNotifier('slack', options.url, 'webhook URL', options, (notice) => {
    const message = buildSlackMessage(notice);
    return async (url, transport) => {
      let last: HttpResult | undefined;
      const webhook = new IncomingWebhook(url.toString(), {
        fetch: transportFetch(transport, (r) => (last = r)),
        timeout: transport.timeoutMs,
        retryConfig: { retries: 0 },
      });
      try {
        await webhook.send(message);
        return { ok: true, status: last?.status ?? 200 };
      } catch (e) {
        if (last) return outcomeOfStatus(last.status, last.body, retryAfterFromHeaders(last.headers, Date.now()));
        const cause = e instanceof Error && 'original' in e && e.original instanceof Error ? e.original : e;
        return { ok: false, retryable: true, error: cause instanceof Error ? cause.message : String(cause) };
      }
    };
  });
}
