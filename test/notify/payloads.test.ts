import { describe, expect, it } from 'vitest';
import { NOTICE_KINDS, noticeFacts, noticeLinks, noticeTitle } from '../../src/notify/notice';
import { buildSlackMessage, escapeMrkdwn } from '../../src/notify/slack';
import { buildTeamsMessage } from '../../src/notify/teams';
import { newDemotedNotice, newRingOpenedNotice, VMSS_EASTUS } from './notices';
import { checkSlackMessage, checkWorkflowsMessage } from './payload-checks';

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

describe('Teams Workflows message', () => {
  it.each(NOTICE_KINDS)('is a well-formed Adaptive Card 1.5 for %s', (kind) => {
    const msg = buildTeamsMessage(newDemotedNotice({ kind }));
    expect(checkWorkflowsMessage(msg)).toEqual([]);
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

  it('the checker catches a broken card', () => {
    const msg = buildTeamsMessage(newRingOpenedNotice());
    const card = msg.attachments[0]?.content as unknown as Record<string, unknown>;
    card.version = '1.6';
    (card.body as Record<string, unknown>[]).push({ type: 'FactSet', facts: [{ title: 'x' }] }, { type: 'Carousel' });
    expect(checkWorkflowsMessage(msg)).toEqual([
      'card.version: must be "1.5"',
      'card.body[3].facts[0]: needs string title and value',
      'card.body[4].type: unknown element Carousel',
    ]);
  });
});

describe('Slack Block Kit message', () => {
  it.each(NOTICE_KINDS)('is well formed for %s', (kind) => {
    expect(checkSlackMessage(buildSlackMessage(newDemotedNotice({ kind })))).toEqual([]);
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
    const m = buildSlackMessage(newDemotedNotice({ summary: 'x'.repeat(5000), ring: 'r'.repeat(200) }));
    expect(checkSlackMessage(m)).toEqual([]);
  });
});
