import type { KnownBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { NOTICE_KINDS, noticeFacts, noticeLinks, noticeTitle } from '../../src/notify/notice';
import { buildSlackMessage, escapeMrkdwn, type SlackMessage } from '../../src/notify/slack';
import { buildTeamsMessage } from '../../src/notify/teams';
import { newDemotedNotice, newRingOpenedNotice, VMSS_EASTUS } from './notices';
import { adaptiveCardProblems, blockKitLimitProblems, workflowsMessageProblems } from './payload-validators';

describe('notice rendering', () => {
  it('titles and facts tell what happened, to which version, where, with the numbers', () => {
    const n = newDemotedNotice();
    expect(noticeTitle(n)).toBe('Demoted: payments-api 1.7.0 (ring canary)');
    expect(noticeFacts(n)).toEqual([
      { title: 'Version', value: 'payments-api 1.7.0' },
      { title: 'Ring', value: 'canary' },
      { title: 'Regions', value: 'eastus' },
      { title: 'Batch', value: '1 of 5' },
      { title: 'Unhealthy upgraded', value: '40 % (limit 20 %)' },
      { title: 'Instances upgraded', value: '2 of 10, 2 failed' },
      { title: 'Azure error', value: 'MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade' },
      { title: 'Scale sets', value: 'payments-eastus' },
      { title: 'When', value: '2026-11-02T10:12:00Z' },
    ]);
    expect(noticeLinks(n).map((l) => l.url)).toEqual([
      `https://portal.azure.com/#@/resource${n.versionId}`,
      `https://portal.azure.com/#@/resource${VMSS_EASTUS}`,
      'https://ringmaster.example.net/releases/payments-api-1.7.0',
    ]);
  });
});

describe('Teams Workflows message (Microsoft adaptivecards, schema 1.5)', () => {
  it.each(NOTICE_KINDS)('parses and validates with no event for %s', (kind) => {
    expect(workflowsMessageProblems(buildTeamsMessage(newDemotedNotice({ kind })))).toEqual([]);
  });

  it('renders the facts, next step and links', () => {
    const n = newDemotedNotice();
    const card = buildTeamsMessage(n).attachments[0]?.content;
    const text = JSON.stringify(card);
    expect(card?.body[0]).toMatchObject({ type: 'TextBlock', text: 'Demoted: payments-api 1.7.0 (ring canary)', color: 'Attention' });
    expect(text).toContain('MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade');
    expect(text).toContain('**Next step:** Fix the image');
    expect(card?.actions.map((a) => a.title)).toEqual([
      'Version in Azure portal',
      'Scale set payments-eastus in portal',
      'Ringmaster dashboard',
    ]);
  });

  // A check that cannot fail proves nothing: each way of breaking a card is one the library reports.
  it.each([
    { name: 'an unknown element type', edit: (c: Card) => c.body.push({ type: 'Marquee', text: 'x' }), want: ['UnknownElementType: Unknown element type "Marquee". Fallback will be used if present.', 'card.body[3]: dropped'] },
    { name: 'an unknown action type', edit: (c: Card) => c.actions.push({ type: 'Action.Approve' as 'Action.OpenUrl', title: 'x', url: 'https://x.example' }), want: ['UnknownActionType: Unknown action type "Action.Approve". Fallback will be used if present.', 'card.actions[1]: dropped'] },
    { name: 'a version above 1.5', edit: (c: Card) => ((c as { version: string }).version = '1.6'), want: ['UnsupportedCardVersion: The specified card version (1.6) is not supported or still in preview. The latest released card version is 1.5.', 'version: "1.6", not "1.5"'] },
    { name: 'no version', edit: (c: Card) => delete (c as { version?: string }).version, want: ['version: undefined, not "1.5"'] },
    { name: 'a missing required property', edit: (c: Card) => delete (c.actions[0] as { url?: string }).url, want: ['PropertyCantBeNull: Property "url" must be set.'] },
    { name: 'an invalid enum value', edit: (c: Card) => (c.body[0]!.size = 'Huge'), want: ['InvalidPropertyValue: Invalid value "Huge" for property "size".', 'card.body[0].size: dropped'] },
    { name: 'a misspelt property', edit: (c: Card) => (c.body[1]!.colour = 'Good'), want: ['card.body[1].colour: dropped'] },
  ])('reports $name', ({ edit, want }) => {
    const card = buildTeamsMessage(newRingOpenedNotice()).attachments[0]!.content;
    edit(card);
    expect(adaptiveCardProblems(card)).toEqual(want);
  });
});

type Card = ReturnType<typeof buildTeamsMessage>['attachments'][number]['content'];

describe('Slack Block Kit message (@slack/types, and the limits the types cannot state)', () => {
  it('is typed as Block Kit: tsc refuses a malformed block', () => {
    // Compiled by `tsc --noEmit` (tsconfig includes test/): the builder's blocks are Block Kit's known blocks…
    const blocks: KnownBlock[] = buildSlackMessage(newDemotedNotice()).blocks;
    // …and each of these fails to compile; an unused `@ts-expect-error` fails the type check instead.
    const refused: SlackMessage['blocks'] = [
      // @ts-expect-error a header takes plain_text only
      { type: 'header', text: { type: 'mrkdwn', text: '*Demoted*' } },
      // @ts-expect-error a button needs a text
      { type: 'actions', elements: [{ type: 'button', url: 'https://x.example', action_id: 'a' }] },
      // @ts-expect-error no such block
      { type: 'headline', text: { type: 'plain_text', text: 'x' } },
    ];
    expect(blocks.length).toBeGreaterThan(0);
    expect(refused).toHaveLength(3);
  });

  it.each(NOTICE_KINDS)('is within Block Kit limits for %s', (kind) => {
    expect(blockKitLimitProblems(buildSlackMessage(newDemotedNotice({ kind })))).toEqual([]);
  });

  it('carries a fallback text, the facts as fields and link buttons', () => {
    const m = buildSlackMessage(newDemotedNotice());
    expect(m.text).toContain('Demoted: payments-api 1.7.0');
    const fields = m.blocks.find((b) => b.type === 'section' && 'fields' in b) as { fields: { text: string }[] };
    expect(fields.fields.map((f) => f.text)).toContain('*Unhealthy upgraded*\n40 % (limit 20 %)');
    const actions = m.blocks.find((b) => b.type === 'actions') as { elements: { url: string }[] };
    expect(actions.elements).toHaveLength(3);
  });

  it('escapes mrkdwn and clips to Slack limits', () => {
    expect(escapeMrkdwn('a <b> & c')).toBe('a &lt;b&gt; &amp; c');
    const m = buildSlackMessage(newDemotedNotice({ summary: 'x'.repeat(5000), ring: 'r'.repeat(200), scaleSetIds: Array.from({ length: 30 }, (_, i) => `${VMSS_EASTUS}-${i}`) }));
    expect(blockKitLimitProblems(m)).toEqual([]);
  });

  it('the limit checks catch what the types allow', () => {
    const m = buildSlackMessage(newDemotedNotice());
    const header = { type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } } as const;
    const button = { type: 'button', text: { type: 'plain_text', text: 'b' }, action_id: 'same' } as const;
    const broken: SlackMessage = {
      text: '',
      blocks: [header, { type: 'section' }, { type: 'actions', elements: [button, button] }, ...Array.from({ length: 48 }, () => m.blocks[1]!)],
    };
    expect(blockKitLimitProblems(broken)).toEqual([
      'text: text required',
      'blocks: 51 items, 1–50 allowed',
      'blocks[0].text: 151 characters, at most 150',
      'blocks[1]: needs text or fields',
      'blocks[2].elements[1].action_id: same is used twice',
    ]);
  });
});
