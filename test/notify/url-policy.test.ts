import { describe, expect, it } from 'vitest';
import { guardedLookup } from '../../src/notify/http-transport';
import {
  checkWebhookUrl,
  DEFAULT_ALLOWED_HOSTS,
  hostMatches,
  parseAllowedHosts,
  type UrlPolicy,
} from '../../src/notify/url-policy';

const prod: UrlPolicy = { allowedHosts: DEFAULT_ALLOWED_HOSTS };
const local: UrlPolicy = { allowedHosts: DEFAULT_ALLOWED_HOSTS, allowLoopback: true };

describe('checkWebhookUrl', () => {
  it.each([
    { name: 'Slack webhook', url: 'https://hooks.slack.com/services/example-not-a-secret', policy: prod, ok: true },
    { name: 'Teams Workflows (logic.azure.com)', url: 'https://prod-12.westus.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?sig=x', policy: prod, ok: true },
    { name: 'Teams Workflows (powerplatform)', url: 'https://default1a2b.3c.environment.api.powerplatform.com:443/powerautomate/automations/direct/workflows/x', policy: prod, ok: true },
    { name: 'http is refused', url: 'http://hooks.slack.com/services/x', policy: prod, ok: false, reason: 'only https' },
    { name: 'host off the allowlist', url: 'https://evil.example.com/hook', policy: prod, ok: false, reason: 'not on the allowlist' },
    { name: 'suffix trick', url: 'https://hooks.slack.com.evil.example.com/x', policy: prod, ok: false, reason: 'not on the allowlist' },
    { name: 'bare wildcard domain does not match', url: 'https://logic.azure.com/x', policy: prod, ok: false, reason: 'not on the allowlist' },
    { name: 'retired O365 connector', url: 'https://contoso.webhook.office.com/webhookb2/x', policy: prod, ok: false, reason: 'not on the allowlist' },
    { name: 'loopback literal', url: 'https://127.0.0.1:8443/hook', policy: prod, ok: false, reason: 'loopback' },
    { name: 'loopback v6', url: 'https://[::1]:8443/hook', policy: prod, ok: false, reason: 'loopback' },
    { name: 'localhost by name', url: 'https://localhost/hook', policy: prod, ok: false, reason: 'loopback' },
    { name: 'private literal', url: 'https://10.1.2.3/hook', policy: { allowedHosts: ['10.1.2.3'] }, ok: false, reason: 'private' },
    { name: 'metadata endpoint', url: 'https://169.254.169.254/metadata', policy: { allowedHosts: ['*'] }, ok: false, reason: 'private' },
    { name: 'mapped v6 private', url: 'https://[::ffff:192.168.1.1]/x', policy: { allowedHosts: ['*'] }, ok: false, reason: 'private' },
    { name: 'credentials in URL', url: 'https://user:pw@hooks.slack.com/x', policy: prod, ok: false, reason: 'credentials' },
    { name: 'not a URL', url: 'hooks.slack.com/x', policy: prod, ok: false, reason: 'not a valid URL' },
    { name: 'loopback allowed for local use (http)', url: 'http://127.0.0.1:7071/hook', policy: local, ok: true },
    { name: 'loopback allowed for local use (https)', url: 'https://127.0.0.1:7071/hook', policy: local, ok: true },
    { name: 'private network opt-in', url: 'https://10.1.2.3/hook', policy: { allowedHosts: ['10.1.2.3'], allowPrivateNetworks: true }, ok: true },
  ])('$name', ({ url, policy, ok, reason }) => {
    const r = checkWebhookUrl(url, policy);
    expect(r.ok).toBe(ok);
    if (!r.ok && reason) expect(r.reason).toContain(reason);
  });
});

describe('hostMatches and allowlist parsing', () => {
  it.each([
    ['hooks.slack.com', 'hooks.slack.com', true],
    ['HOOKS.slack.com', 'hooks.slack.com', true],
    ['a.b.logic.azure.com', '*.logic.azure.com', true],
    ['logic.azure.com', '*.logic.azure.com', false],
    ['xlogic.azure.com', '*.logic.azure.com', false],
  ] as const)('%s vs %s', (host, pattern, want) => {
    expect(hostMatches(host, pattern)).toBe(want);
  });

  it('reads RINGMASTER_NOTIFY_ALLOWED_HOSTS or falls back to the defaults', () => {
    expect(parseAllowedHosts('hooks.slack.com, *.contoso.com')).toEqual(['hooks.slack.com', '*.contoso.com']);
    expect(parseAllowedHosts('')).toBe(DEFAULT_ALLOWED_HOSTS);
    expect(parseAllowedHosts(undefined)).toBe(DEFAULT_ALLOWED_HOSTS);
  });
});

describe('guardedLookup (DNS rebinding guard)', () => {
  const lookup = (policy: UrlPolicy, host: string) =>
    new Promise<{ err: NodeJS.ErrnoException | null; address: unknown }>((resolve) =>
      guardedLookup(policy)(host, { family: 0 }, (err, address) => resolve({ err, address })),
    );

  it('refuses a name that resolves to loopback unless loopback is allowed', async () => {
    const refused = await lookup({ allowedHosts: ['localhost'] }, 'localhost');
    expect(refused.err?.message).toContain('refusing to connect');
    const allowed = await lookup({ allowedHosts: ['localhost'], allowLoopback: true }, 'localhost');
    expect(allowed.err).toBeNull();
  });
});
