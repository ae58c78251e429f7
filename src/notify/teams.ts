/**
 * Microsoft Teams through a Workflows (Power Automate) webhook: the "Post to a channel when a webhook request is
 * received" template accepts `{ type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive',
 * content: <Adaptive Card> }] }` and answers 202. Office 365 connectors (MessageCard) are retired, so only this shape.
 * Cards use Adaptive Card schema 1.5, the highest Teams renders.
 */
import { escapeTeamsMarkdown as md } from './chat-text';
import { outcomeOfStatus, retryAfterFromHeaders, type Notifier } from './delivery';
import { type GuardedOptions, guardedNotifier } from './guarded-notifier';
import { postRaw } from './http-transport';
import { type Notice, noticeFacts, noticeLinks, noticeTitle, noticeTone } from './notice';

export const ADAPTIVE_CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

export interface AdaptiveCard {
  $schema: string;
  type: 'AdaptiveCard';
  version: '1.5';
  body: Record<string, unknown>[];
  actions: { type: 'Action.OpenUrl'; title: string; url: string }[];
  msteams?: { width: 'Full' };
}

export interface WorkflowsMessage {
  type: 'message';
  attachments: { contentType: typeof ADAPTIVE_CARD_CONTENT_TYPE; contentUrl: null; content: AdaptiveCard }[];
}

const COLOR = { attention: 'Attention', warning: 'Warning', good: 'Good' } as const;

/**
 * The Adaptive Card for a notice: title, summary, facts, next step, links. TextBlocks and FactSets render
 * markdown, so every free-text piece goes through `escapeTeamsMarkdown`; button titles are plain text.
 */
export function buildAdaptiveCard(notice: Notice): AdaptiveCard {
  const body: Record<string, unknown>[] = [
    {
      type: 'TextBlock',
      text: noticeTitle(notice, md),
      size: 'Large',
      weight: 'Bolder',
      color: COLOR[noticeTone(notice.kind)],
      style: 'heading',
      wrap: true,
    },
    { type: 'TextBlock', text: md(notice.summary), wrap: true },
    { type: 'FactSet', facts: noticeFacts(notice, md).map((f) => ({ title: f.title, value: f.value })) },
  ];
  if (notice.nextStep) {
    body.push({ type: 'TextBlock', text: `**Next step:** ${md(notice.nextStep)}`, wrap: true, spacing: 'Medium' });
  }
  return {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.5',
    body,
    actions: noticeLinks(notice).map((l) => ({ type: 'Action.OpenUrl', title: l.title, url: l.url })),
    msteams: { width: 'Full' },
  };
}

/** The Workflows webhook envelope around the card. */
export function buildTeamsMessage(notice: Notice): WorkflowsMessage {
  return {
    type: 'message',
    attachments: [{ contentType: ADAPTIVE_CARD_CONTENT_TYPE, contentUrl: null, content: buildAdaptiveCard(notice) }],
  };
}

export interface WebhookNotifierOptions extends GuardedOptions {
  /** The webhook URL (a secret: never logged, never put in a record). */
  url: string;
}

export function createTeamsNotifier(options: WebhookNotifierOptions): Notifier {
  return guardedNotifier('teams', options.url, 'webhook URL', options, (notice) => {
    const payload = JSON.stringify(buildTeamsMessage(notice));
    return async (url, transport) => {
      const r = await postRaw(url, payload, {}, transport);
      return outcomeOfStatus(r.status, r.body, retryAfterFromHeaders(r.headers, Date.now()));
    };
  });
}
