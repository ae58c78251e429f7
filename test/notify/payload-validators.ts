/**
 * The two chat payloads checked by their owners' code, not by ours:
 * - Teams: Microsoft's `adaptivecards` object model parses the card at schema 1.5 (`SerializationContext` and the
 *   card's `maxVersion`), and its parse events and `validateProperties()` failures are the problems; whatever the
 *   model does not know it drops, so its own serialization (`toJSON`) is compared with what we send.
 * - Slack: `SlackMessage.blocks` is `KnownBlock[]` from `@slack/types`, so tsc checks each block's shape (see the
 *   `@ts-expect-error` cases in payloads.test.ts). Here only Block Kit's documented limits that the types cannot
 *   state (https://docs.slack.dev/reference/block-kit/blocks): counts, lengths, unique `action_id`s.
 */
import { AdaptiveCard, SerializationContext, ValidationEvent, Versions } from 'adaptivecards';
import type { KnownBlock } from '@slack/types';
import { ADAPTIVE_CARD_CONTENT_TYPE } from '../../src/notify/teams';
import type { SlackMessage } from '../../src/notify/slack';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Problems with an Adaptive Card for Teams, which renders schema 1.5 at most (empty when well formed). */
export function adaptiveCardProblems(json: unknown): string[] {
  if (!isObj(json)) return ['card: must be an object'];
  const card = new AdaptiveCard();
  card.maxVersion = Versions.v1_5;
  const context = new SerializationContext(Versions.v1_5);
  card.parse(json, context);
  const events = Array.from({ length: context.eventCount }, (_, i) => context.getEventAt(i));
  const problems = [...events, ...card.validateProperties().validationEvents].map((e) => `${ValidationEvent[e.event]}: ${e.message}`);
  // The model takes a card without a version as the latest; Teams needs it stated.
  if (json.version !== '1.5') problems.push(`version: ${JSON.stringify(json.version)}, not "1.5"`);
  // `msteams` is Teams' host extension (full width), outside the card schema, so the model does not keep it;
  // `version` was checked above (the model writes its target version back).
  const { msteams: _msteams, version: _version, ...schemaPart } = json;
  return [...problems, ...notKept(schemaPart, card.toJSON(new SerializationContext(Versions.v1_5)), 'card')];
}

/** What we sent that the object model did not read back as sent: unknown properties, misspelt enums, dropped elements. */
function notKept(sent: unknown, read: unknown, path: string): string[] {
  if (Array.isArray(sent)) {
    return sent.flatMap((v, i) => (Array.isArray(read) && i < read.length ? notKept(v, read[i], `${path}[${i}]`) : [`${path}[${i}]: dropped`]));
  }
  if (isObj(sent)) {
    return Object.entries(sent).flatMap(([k, v]) => (isObj(read) && k in read ? notKept(v, read[k], `${path}.${k}`) : [`${path}.${k}: dropped`]));
  }
  return sent === read ? [] : [`${path}: sent ${JSON.stringify(sent)}, read as ${JSON.stringify(read)}`];
}

/** Problems with a Teams Workflows message: the envelope the "post a card" template takes, then its card. */
export function workflowsMessageProblems(msg: unknown): string[] {
  if (!isObj(msg) || msg.type !== 'message' || !Array.isArray(msg.attachments) || msg.attachments.length !== 1) {
    return ['message: must be { type: "message", attachments: [one card] }'];
  }
  const attachment: unknown = msg.attachments[0];
  if (!isObj(attachment) || attachment.contentType !== ADAPTIVE_CARD_CONTENT_TYPE) return [`attachments[0].contentType: must be ${ADAPTIVE_CARD_CONTENT_TYPE}`];
  return adaptiveCardProblems(attachment.content);
}

/** Block Kit's limits the types cannot state (empty when within them). */
export function blockKitLimitProblems(msg: SlackMessage): string[] {
  const out: string[] = [];
  const text = (t: { text: string } | undefined, path: string, max: number) => {
    if (!t || t.text.length === 0) out.push(`${path}: text required`);
    else if (t.text.length > max) out.push(`${path}: ${t.text.length} characters, at most ${max}`);
  };
  const count = (n: number, path: string, min: number, max: number) => {
    if (n < min || n > max) out.push(`${path}: ${n} items, ${min}–${max} allowed`);
  };
  text(msg, 'text', 40_000); // chat.postMessage truncates beyond this; the notification and fallback text
  count(msg.blocks.length, 'blocks', 1, 50);
  const actionIds = new Set<string>();
  msg.blocks.forEach((b: KnownBlock, i) => {
    const p = `blocks[${i}]`;
    switch (b.type) {
      case 'header':
        text(b.text, `${p}.text`, 150);
        break;
      case 'section':
        if (!b.text && !b.fields) out.push(`${p}: needs text or fields`);
        if (b.text) text(b.text, `${p}.text`, 3000);
        if (b.fields) {
          count(b.fields.length, `${p}.fields`, 1, 10);
          b.fields.forEach((f, j) => text(f, `${p}.fields[${j}]`, 2000));
        }
        break;
      case 'context':
        count(b.elements.length, `${p}.elements`, 1, 10);
        b.elements.forEach((e, j) => 'text' in e && text(e, `${p}.elements[${j}]`, 3000));
        break;
      case 'actions':
        count(b.elements.length, `${p}.elements`, 1, 25);
        b.elements.forEach((e, j) => {
          if (e.type !== 'button') return;
          text(e.text, `${p}.elements[${j}].text`, 75);
          if (e.url !== undefined && e.url.length > 3000) out.push(`${p}.elements[${j}].url: longer than 3000`);
          const id = e.action_id ?? '';
          if (id.length === 0 || id.length > 255) out.push(`${p}.elements[${j}].action_id: 1–255 characters`);
          else if (actionIds.has(id)) out.push(`${p}.elements[${j}].action_id: ${id} is used twice`);
          actionIds.add(id);
        });
        break;
      default:
        out.push(`${p}: a ${b.type} block, which Ringmaster does not send`);
    }
  });
  return out;
}

/**
 * A Slack message as posted: the webhook's JSON body, or the Web API's form (`chat.postMessage` as `WebClient`
 * sends it: every field a string, `blocks` JSON-encoded).
 */
export function postedSlackMessage(body: unknown): SlackMessage & Obj {
  const m = body as Obj;
  return { ...m, text: String(m.text), blocks: (typeof m.blocks === 'string' ? JSON.parse(m.blocks) : m.blocks) as KnownBlock[] };
}
