/**
 * Which webhook URLs Ringmaster may post to.
 *
 * Webhook URLs come from settings or Key Vault, but a wrong or hostile value must not turn Ringmaster into a proxy
 * into its own network (SSRF). So: only `https`, only hosts on an allowlist, never private, link-local or loopback
 * addresses, neither as literals in the URL (checked here) nor after DNS resolution (checked at connect time by
 * `guardedLookup` in `http-transport.ts`). Loopback is allowed, over http too, only with `allowLoopback` — for tests
 * and the local rehearsal.
 */
import { BlockList, isIP } from 'node:net';

export interface UrlPolicy {
  /** Host patterns. `hooks.slack.com` matches exactly; `*.logic.azure.com` matches any subdomain (one or more labels). */
  allowedHosts: readonly string[];
  /** Allow 127.0.0.0/8, ::1 and `localhost`, over http or https, whatever the allowlist says. */
  allowLoopback?: boolean;
  /** Allow RFC 1918 / ULA / link-local / CGNAT addresses (an on-premises relay); off by default. */
  allowPrivateNetworks?: boolean;
}

/**
 * Where Teams Workflows and Slack incoming webhooks live: Power Automate workflow URLs are served from
 * `*.logic.azure.com` (older) and `*.environment.api.powerplatform.com` (newer); Slack from `hooks.slack.com`.
 * Office 365 connector URLs (`*.webhook.office.com`) are retired and deliberately absent.
 */
export const DEFAULT_ALLOWED_HOSTS: readonly string[] = [
  'hooks.slack.com',
  'slack.com',
  '*.logic.azure.com',
  '*.environment.api.powerplatform.com',
];

export type UrlCheck = { ok: true; url: URL } | { ok: false; reason: string };

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

const privateNets = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  privateNets.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  privateNets.addSubnet(net, prefix, 'ipv6');
}

/** Unwraps `::ffff:10.0.0.1` to `10.0.0.1`. */
function normaliseIp(ip: string): { ip: string; family: 'ipv4' | 'ipv6' } | undefined {
  const bare = ip.replace(/^\[|\]$/g, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  const candidate = mapped?.[1] ?? bare;
  const v = isIP(candidate);
  if (v === 4) return { ip: candidate, family: 'ipv4' };
  if (v === 6) return { ip: candidate, family: 'ipv6' };
  return undefined;
}

export function isLoopbackAddress(ip: string): boolean {
  const n = normaliseIp(ip);
  return n !== undefined && loopback.check(n.ip, n.family);
}

export function isPrivateAddress(ip: string): boolean {
  const n = normaliseIp(ip);
  return n !== undefined && privateNets.check(n.ip, n.family);
}

/** Whether a resolved or literal address may be connected to under `policy`. */
export function addressAllowed(ip: string, policy: UrlPolicy): boolean {
  if (isLoopbackAddress(ip)) return policy.allowLoopback === true;
  if (isPrivateAddress(ip)) return policy.allowPrivateNetworks === true;
  return true;
}

export function hostMatches(host: string, pattern: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  const p = pattern.toLowerCase().trim();
  if (p.startsWith('*.')) {
    const suffix = p.slice(1);
    return h.endsWith(suffix) && h.length > suffix.length;
  }
  return h === p;
}

/** Checks a webhook URL against the policy before any connection is made. */
export function checkWebhookUrl(raw: string, policy: UrlPolicy): UrlCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'not a valid URL' };
  }
  if (url.username || url.password) return { ok: false, reason: 'credentials in the URL are refused' };
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const isLoopbackHost = host.toLowerCase() === 'localhost' || isLoopbackAddress(host);
  if (isLoopbackHost) {
    if (policy.allowLoopback !== true) return { ok: false, reason: `loopback address ${host} refused` };
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, reason: `${url.protocol} refused` };
    return { ok: true, url };
  }
  if (url.protocol !== 'https:') return { ok: false, reason: `only https is allowed, not ${url.protocol.replace(':', '')}` };
  if (isIP(host) !== 0 && !addressAllowed(host, policy)) {
    return { ok: false, reason: `private address ${host} refused` };
  }
  if (!policy.allowedHosts.some((p) => hostMatches(host, p))) {
    return { ok: false, reason: `host ${host} is not on the allowlist` };
  }
  return { ok: true, url };
}

/** Parses `RINGMASTER_NOTIFY_ALLOWED_HOSTS` (comma or space separated); empty means the defaults. */
export function parseAllowedHosts(value: string | undefined): readonly string[] {
  const hosts = (value ?? '')
    .split(/[\s,]+/)
    .map((h) => h.trim())
    .filter((h) => h !== '');
  return hosts.length > 0 ? hosts : DEFAULT_ALLOWED_HOSTS;
}
