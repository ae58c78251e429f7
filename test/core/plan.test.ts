import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { formatDuration, parseDuration, validatePlan } from '../../src/core';

const examples = join(__dirname, '../../examples');
const payments = () => parse(readFileSync(join(examples, 'payments.yaml'), 'utf8')) as Record<string, unknown> & { rings: Record<string, unknown>[] };

describe('release plan', () => {
  it.each(readdirSync(examples).filter((f) => f.endsWith('.yaml')))('example %s is valid', (file) => {
    const result = validatePlan(parse(readFileSync(join(examples, file), 'utf8')));
    expect(result.ok ? [] : result.errors).toEqual([]);
  });

  it('fills defaults', () => {
    const doc = payments();
    delete doc.health;
    const result = validatePlan(doc);
    if (!result.ok) throw new Error('expected ok');
    expect(result.plan.health).toMatchObject({ maxUnhealthyUpgradedInstancePercent: 20, onWholeSetUnhealthy: 'pause', breachOn: ['platform-fault', 'unhealthy-percent', 'alert', 'metric'] });
    expect(result.plan.rings[2]!.approval).toBe('none');
  });

  const broken: { name: string; change: (d: ReturnType<typeof payments>) => void; errors: string[] }[] = [
    { name: 'a soak that is not a duration', change: (d) => (d.rings[2]!.soak = 'soon'), errors: ['rings[2].soak: expected a duration like "30m"'] },
    { name: 'a URL where a secret name belongs', change: (d) => ((d.notify as Record<string, unknown>[])[0]!.teams = 'https://contoso.webhook.office.com/x'), errors: ['notify[0].teams: expected a secret name (a setting or Key Vault secret), never a URL'] },
    { name: 'a region in two rings', change: (d) => (d.rings[1]!.regions = ['eastus']), errors: ['rings[1].regions[0]: region "eastus" is already in ring "canary"; a region belongs to one ring'] },
    { name: 'an unknown lever', change: (d) => (d.lever = 'magic'), errors: ['lever: Invalid option: expected one of "regional-flag"|"replication"'] },
    { name: 'not an image definition', change: (d) => (d.image = '/subscriptions/x/resourceGroups/y/providers/Microsoft.Compute/images/z'), errors: ['image: expected a gallery image definition id like /subscriptions/…/galleries/G/images/I'] },
    { name: 'an unknown field', change: (d) => (d.rings[0]!.sok = '30m'), errors: ['rings[0]: Unrecognized key: "sok"'] },
    { name: 'a bad budget', change: (d) => (d.budget = { maxInstancesOnUnprovenVersion: '150%' }), errors: ['budget.maxInstancesOnUnprovenVersion: expected a count or a percentage like "10%"'] },
    { name: 'a bad window time zone', change: (d) => (d.windows = [{ days: ['Mon'], from: '08:00', to: '16:00', timeZone: 'Mars/Olympus' }]), errors: ['windows[0].timeZone: expected an IANA time zone like "Europe/London"'] },
    { name: 'two errors at once', change: (d) => { d.rings[0]!.soak = 'x'; d.rings[1]!.regions = ['East US']; }, errors: ['rings[0].soak: expected a duration like "30m"', 'rings[1].regions[0]: expected an Azure region name like "eastus" (lower case, no spaces)'] },
  ];

  it.each(broken)('reports $name with its path', ({ change, errors }) => {
    const doc = payments();
    change(doc);
    const result = validatePlan(doc);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.map((e) => `${e.path}: ${e.message}`)).toEqual(errors);
  });

  it('parses and formats durations', () => {
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('')).toBeUndefined();
    expect(parseDuration('5 minutes')).toBeUndefined();
    expect(formatDuration(5_400_000)).toBe('1h30m');
  });
});
