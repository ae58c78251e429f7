/**
 * Free text in a notice (an operator's name and reason, a next step, ring, region, image and scale set names,
 * Azure's error code) is data, not markup: whatever it holds, the card that reaches Teams and the message that
 * reaches Slack show it as text — no link that hides its target, no @channel, no formatting the sender did not
 * write. Each test posts to a loopback sink and decodes what was posted.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { toNotice } from '../../src/app/wiring';
import { decide, newRelease, type Command } from '../../src/core';
import { escapeMrkdwn, escapeTeamsMarkdown } from '../../src/notify/chat-text';
import { buildSlackMessage, createSlackNotifier } from '../../src/notify/slack';
import { createSlackThreadNotifier } from '../../src/notify/slack-thread';
import { buildTeamsMessage, createTeamsNotifier } from '../../src/notify/teams';
import { DEFAULT_ALLOWED_HOSTS, type UrlPolicy } from '../../src/notify/url-policy';
import { planWith } from '../core/factories';
import { newDemotedNotice, SUB, VERSION_170 } from './notices';
import { blockKitLimitProblems, postedSlackMessage, workflowsMessageProblems } from './payload-validators';
import { type Sink, startSink } from './sink';

const local: UrlPolicy = { allowedHosts: DEFAULT_ALLOWED_HOSTS, allowLoopback: true };
const sinks: Sink[] = [];
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.close()));
});

/** The two strings of issue 16, and the rest of what chat markup makes of text. */
const SLACK_LINK = '<!channel> <https://evil.example|dashboard>';
const MD_LINK = '[Approve here](https://evil.example)';
const FORMATTING = '*bold* _italic_ ~strike~ `code` # heading > quote ![img](https://evil.example/x.png) \\ {{DATE(2026-11-02T10:12:00Z, SHORT)}}';
const MENTIONS = '<@U024BE7LH> <!here> <#C0123> @channel @here @everyone';

/** A notice with hostile text in every free-text field that reaches a card. */
function hostileNotice() {
  return newDemotedNotice({
    releaseId: `rel-${SLACK_LINK}`,
    versionId: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/galleries/g/images/${MD_LINK.replace(/\//g, '')}/versions/*1.7.0*`,
    ring: `_canary_ ${SLACK_LINK}`,
    regions: ['---', '- eastus', '<!here>'],
    summary: `paused by ${SLACK_LINK} (${MD_LINK}) ${FORMATTING}`,
    nextStep: `${MD_LINK} ${MENTIONS}\n\n- item\n1. item`,
    azureErrorCode: '> `Code` <!channel>',
    scaleSetIds: [`/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/~vmss~[x](https:evil.example)`],
  });
}

// ---------------------------------------------------------------------------------------------- decoders

/**
 * What a CommonMark-subset renderer (Adaptive Card TextBlock and FactSet markdown) would still act on in `text`:
 * every markup character not preceded by a backslash, every scheme URL a client would turn into a link, and
 * any line break (a new paragraph, list or heading). `ours` is markup the card itself writes (`**Next step:**`).
 */
function liveMarkdown(text: string, ours: string[] = []): string[] {
  let t = text;
  for (const o of ours) t = t.replace(o, '');
  const live: string[] = [];
  let plain = '';
  for (let i = 0; i < t.length; i++) {
    const c = t[i]!;
    if (c === '\\') {
      i++; // an escaped character is text
      plain += ' ';
      continue;
    }
    plain += c;
    if ('[]*_`~#>!<{'.includes(c)) live.push(c);
  }
  if (/[a-z][a-z0-9+.-]*:\/\//i.test(plain)) live.push('scheme URL');
  if (/^\s*(?:(?:[-+]|\d+[.)])(?:\s|$)|-{3,})/.test(plain)) live.push('list marker or rule');
  if (/[\r\n]/.test(plain)) live.push('line break');
  return live;
}

/**
 * What Slack's mrkdwn would still act on: any `<` or `>` (links, mentions, channels and `<!…>` commands all
 * live in angle brackets; escaped text carries `&lt;`/`&gt;`), `@channel`/`@here`/`@everyone` as words, a scheme
 * URL, a line break, and a formatting marker (`*_~` and backtick) that can open or close formatting, i.e. one not
 * inside a word. `ours` is markup the message itself writes (`*Next step:*`, a field's `*Title*`).
 */
function liveMrkdwn(text: string, ours: RegExp[] = []): string[] {
  let t = text;
  for (const o of ours) t = t.replace(o, '');
  const live: string[] = [];
  if (/[<>]/.test(t)) live.push('angle bracket');
  if (/&(?!amp;|lt;|gt;)/.test(t)) live.push('bare &');
  if (/(?<![\p{L}\p{N}\u200b])@(channel|here|everyone)\b/u.test(t)) live.push('@-mention');
  if (/[a-z][a-z0-9+.-]*:\/\//i.test(t)) live.push('scheme URL');
  if (/[\r\n]/.test(t)) live.push('line break');
  if (/^&gt;/.test(t)) live.push('blockquote');
  for (let i = 0; i < t.length; i++) {
    const c = t[i]!;
    if (!'*_~`'.includes(c)) continue;
    const inWord = /[\p{L}\p{N}]/u.test(t[i - 1] ?? '') && /[\p{L}\p{N}]/u.test(t[i + 1] ?? '');
    if (!inWord) live.push(c);
  }
  return live;
}

type Obj = Record<string, unknown>;

/** Every markdown-rendered string of a posted Workflows message, with where it sits. */
function teamsTexts(posted: unknown): { where: string; text: string }[] {
  const card = ((posted as Obj).attachments as Obj[])[0]!.content as Obj;
  const out: { where: string; text: string }[] = [];
  (card.body as Obj[]).forEach((e, i) => {
    if (e.type === 'TextBlock') out.push({ where: `body[${i}]`, text: String(e.text) });
    if (e.type === 'FactSet') {
      (e.facts as Obj[]).forEach((f, j) => {
        out.push({ where: `body[${i}].facts[${j}].title`, text: String(f.title) });
        out.push({ where: `body[${i}].facts[${j}].value`, text: String(f.value) });
      });
    }
  });
  return out;
}

/** Every mrkdwn string of a posted Slack message (top-level `text` included: Slack parses it as mrkdwn). */
function slackTexts(posted: unknown): { where: string; text: string }[] {
  const m = posted as Obj;
  const out: { where: string; text: string }[] = [{ where: 'text', text: String(m.text) }];
  (m.blocks as Obj[]).forEach((b, i) => {
    const t = b.text as Obj | undefined;
    if (t?.type === 'mrkdwn') out.push({ where: `blocks[${i}].text`, text: String(t.text) });
    for (const [name, list] of [['fields', b.fields], ['elements', b.elements]] as const) {
      (Array.isArray(list) ? (list as Obj[]) : []).forEach((f, j) => {
        if (f.type === 'mrkdwn') out.push({ where: `blocks[${i}].${name}[${j}]`, text: String(f.text) });
      });
    }
  });
  return out;
}

// ---------------------------------------------------------------------------------------------- tests

describe('hostile text in a Teams card', () => {
  it('every markdown string of the posted card shows the text as text', async () => {
    const s = await startSink(() => ({ status: 202 }));
    sinks.push(s);
    const r = await createTeamsNotifier({ route: 't', url: s.url, policy: local, ca: s.ca }).send(hostileNotice());
    expect(r.delivered).toBe(true);
    const posted = s.received[0]?.body;
    expect(workflowsMessageProblems(posted)).toEqual([]);
    const texts = teamsTexts(posted);
    // Title, summary, nine facts (title and value each) and the next step.
    expect(texts.length).toBe(2 + 2 * 9 + 1);
    const live = texts.map((t) => ({ where: t.where, live: liveMarkdown(t.text, ['**Next step:** ']) })).filter((t) => t.live.length > 0);
    expect(live).toEqual([]);
  });

  it('keeps the words: a reader still sees who did what and why', async () => {
    const s = await startSink(() => ({ status: 202 }));
    sinks.push(s);
    await createTeamsNotifier({ route: 't', url: s.url, policy: local, ca: s.ca }).send(hostileNotice());
    const texts = teamsTexts(s.received[0]?.body);
    const at = (where: string) => texts.find((t) => t.where === where)?.text;
    expect(at('body[0]')).toBe('Demoted: \\[Approve here\\]\\(https:evil.example\\) \\*1.7.0\\* (ring \\_canary\\_ \\<\\!channel\\> \\<https:\u200b//evil.example\\|dashboard\\>)');
    expect(at('body[1]')).toContain('paused by \\<\\!channel\\> \\<https:\u200b//evil.example\\|dashboard\\> \\(\\[Approve here\\]\\(https:\u200b//evil.example\\)\\)');
    expect(at('body[2].facts[2].value')).toBe('\\---, \\- eastus, \\<\\!here\\>'); // a leading rule or list marker is escaped
    const next = at('body[3]');
    expect(next?.startsWith('**Next step:** \\[Approve here\\]')).toBe(true);
    expect(next).toContain(' - item 1. item'); // one line: no list
  });

  it('the card’s own buttons are the only links, and their targets are ours', async () => {
    const s = await startSink(() => ({ status: 202 }));
    sinks.push(s);
    await createTeamsNotifier({ route: 't', url: s.url, policy: local, ca: s.ca }).send(hostileNotice());
    const card = ((s.received[0]?.body as Obj).attachments as Obj[])[0]!.content as { actions: { url: string }[] };
    for (const a of card.actions) expect(a.url).toMatch(/^https:\/\/(portal\.azure\.com\/|ringmaster\.example\.net\/)/);
  });
});

describe('hostile text in a Slack message', () => {
  it.each([
    { via: 'an incoming webhook', reply: { status: 200, body: 'ok' }, notifier: (s: Sink) => createSlackNotifier({ route: 's', url: s.url, policy: local, ca: s.ca }) },
    {
      via: 'chat.postMessage (a thread)',
      reply: { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ok: true, ts: '1.1' }) },
      notifier: (s: Sink) => createSlackThreadNotifier({ route: 's', token: 'xoxb-t', channel: 'C0123456789', apiBase: s.url, policy: local, ca: s.ca }),
    },
  ])('every mrkdwn string posted by $via, top-level text included, shows the text as text', async ({ reply, notifier }) => {
    const s = await startSink(() => reply);
    sinks.push(s);
    const r = await notifier(s).send(hostileNotice());
    expect(r.delivered).toBe(true);
    const posted = postedSlackMessage(s.received[0]?.body);
    expect(blockKitLimitProblems(posted)).toEqual([]);
    const texts = slackTexts(posted);
    // Top-level text, summary, nine fields, next step, context.
    expect(texts.length).toBe(1 + 1 + 9 + 1 + 1);
    const ours = [/^\*Next step:\* /, /^\*[A-Z][a-z ]+\*\n/];
    const live = texts.map((t) => ({ where: t.where, live: liveMrkdwn(t.text, ours) })).filter((t) => t.live.length > 0);
    expect(live).toEqual([]);
  });

  it('keeps the words: entities for & < >, mentions and links shown, not acted on', async () => {
    const s = await startSink(() => ({ status: 200, body: 'ok' }));
    sinks.push(s);
    await createSlackNotifier({ route: 's', url: s.url, policy: local, ca: s.ca }).send(hostileNotice());
    const m = s.received[0]?.body as { text: string };
    expect(m.text).toContain('paused by &lt;!channel&gt; &lt;https:\u200b//evil.example|dashboard&gt; ([Approve here](https:\u200b//evil.example))');
    // The header is plain_text, which Slack does not parse; every mrkdwn string is escaped.
    const all = slackTexts(s.received[0]?.body).map((t) => t.text).join('\n');
    expect(all).not.toContain(SLACK_LINK);
    expect(all).toContain('*Azure error*\n\u200b&gt; ˋCodeˋ &lt;!channel&gt;'); // no blockquote, no code span
    expect(all).not.toContain('<!here>');
    expect(all).not.toContain('<@U024BE7LH>');
  });
});

describe('the escapers', () => {
  it.each([
    { name: 'a Slack link with @channel', text: SLACK_LINK, teams: '\\<\\!channel\\> \\<https:\u200b//evil.example\\|dashboard\\>', slack: '&lt;!channel&gt; &lt;https:\u200b//evil.example|dashboard&gt;' },
    { name: 'a Markdown link', text: MD_LINK, teams: '\\[Approve here\\]\\(https:\u200b//evil.example\\)', slack: '[Approve here](https:\u200b//evil.example)' },
    { name: 'names with inner underscores and dashes stay readable', text: 'vmss_prod_1 payments-api 1.7.0', teams: 'vmss\\_prod\\_1 payments-api 1.7.0', slack: 'vmss_prod_1 payments-api 1.7.0' },
    { name: 'formatting markers that could open or close', text: '*bold* _it_ ~s~ `c`', teams: '\\*bold\\* \\_it\\_ \\~s\\~ \\`c\\`', slack: '\u2217bold\u2217 \u02cdit\u02cd \u223cs\u223c \u02cbc\u02cb' },
    { name: 'a leading list marker and line breaks', text: '- one\n\n2. two', teams: '\\- one 2. two', slack: '- one 2. two' },
    { name: 'a leading rule', text: '--- hr', teams: '\\--- hr', slack: '--- hr' },
    { name: 'a leading quote', text: '> quoted', teams: '\\> quoted', slack: '\u200b&gt; quoted' },
    { name: 'plain words and mentions', text: 'alice & bob @here', teams: 'alice & bob @here', slack: 'alice &amp; bob @\u200bhere' },
    { name: 'a backslash', text: 'C:\\temp', teams: 'C:\\\\temp', slack: 'C:\\temp' },
  ])('$name', ({ text, teams, slack }) => {
    expect(escapeTeamsMarkdown(text)).toBe(teams);
    expect(escapeMrkdwn(text)).toBe(slack);
  });
});

describe('hostile operator input, through the engine and the app’s wiring', () => {
  it('a demote by `<!channel> <…|dashboard>` for `[Approve here](…)` reaches the card and the message as text', () => {
    const plan = planWith({ name: `payments ${MD_LINK}`, notify: [{ on: ['demoted'], teams: 'teams-payments-oncall' }] });
    const now = new Date('2026-11-02T10:12:00Z');
    const { commands } = decide(newRelease(plan, VERSION_170, now), { kind: 'operator', action: 'demote', actor: SLACK_LINK, reason: MD_LINK }, now);
    const command = commands.find((c): c is Extract<Command, { kind: 'notify' }> => c.kind === 'notify');
    const notice = toNotice(command!, 'payments-api-1.7.0', 'https://ringmaster.example.net');
    expect(notice.summary).toBe(`demoted by ${SLACK_LINK} (${MD_LINK})`);
    const teams = teamsTexts(buildTeamsMessage(notice)).map((t) => ({ where: t.where, live: liveMarkdown(t.text, ['**Next step:** ']) }));
    const slack = slackTexts(buildSlackMessage(notice)).map((t) => ({ where: t.where, live: liveMrkdwn(t.text, [/^\*Next step:\* /, /^\*[A-Z][a-z ]+\*\n/]) }));
    expect([...teams, ...slack].filter((t) => t.live.length > 0)).toEqual([]);
    expect(JSON.stringify(buildTeamsMessage(notice))).toContain('demoted by \\\\<\\\\!channel\\\\>');
    expect(buildSlackMessage(notice).text).toContain('demoted by &lt;!channel&gt; &lt;https:\u200b//evil.example|dashboard&gt; ([Approve here](https:\u200b//evil.example))');
  });
});
