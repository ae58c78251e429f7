/** Every notice the engine can emit renders in Teams and Slack with a real title (no "undefined"). */
import { describe, expect, it } from 'vitest';
import { NOTICE_KINDS } from '../../src/core';
import { buildSlackMessage } from '../../src/notify/slack';
import { buildTeamsMessage } from '../../src/notify/teams';

describe('every notice kind', () => {
  it.each(NOTICE_KINDS)('%s renders in both channels', (kind) => {
    const notice = {
      kind,
      releaseId: 'payments-api-1.7.0-c506a505',
      eventId: `e-${kind}`,
      versionId: '/subscriptions/s/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/galProd/images/payments-api/versions/1.7.0',
      ring: 'canary',
      summary: `summary of ${kind}`,
      occurredAt: '2026-11-02T09:00:00Z',
    };
    const teams = JSON.stringify(buildTeamsMessage(notice));
    const slack = JSON.stringify(buildSlackMessage(notice));
    for (const text of [teams, slack]) {
      expect(text).not.toContain('undefined');
      expect(text).toContain(`summary of ${kind}`);
      expect(text).toContain('1.7.0');
    }
  });
});
