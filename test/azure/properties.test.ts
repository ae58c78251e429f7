import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Conflict, Fatal, Forbidden, NotFound, Throttled, Transient } from '../../src/azure/errors';
import { classifyResourceUri, portalUrl, sameResourceId } from '../../src/azure/resource-ids';
import { DEFAULT_RETRY_POLICY, nextRetryDelay } from '../../src/azure/retry';
import { checkWebhookUrl, DEFAULT_ALLOWED_HOSTS } from '../../src/notify/url-policy';

const errorArb = fc.oneof(
  fc.record({ kind: fc.constant('throttled' as const), ra: fc.option(fc.nat(120_000), { nil: undefined }) }).map((x) => new Throttled('t', x.ra)),
  fc.option(fc.nat(120_000), { nil: undefined }).map((ra) => new Transient('t', ra === undefined ? {} : { retryAfterMs: ra })),
  fc.constantFrom(new Conflict('c'), new NotFound('n'), new Forbidden('f', 'a'), new Fatal('x')),
);

describe('nextRetryDelay properties', () => {
  it('is bounded, never retries final errors, and never waits less than Retry-After', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), errorArb, fc.double({ min: 0, max: 1, noNaN: true }), (attempt, error, r) => {
        const p = DEFAULT_RETRY_POLICY;
        const d = nextRetryDelay({ attempt, error }, p, () => r);
        if (!d.retry) return;
        expect(attempt).toBeLessThan(p.maxAttempts);
        expect(['throttled', 'transient']).toContain(error.kind);
        const ra = 'retryAfterMs' in error ? error.retryAfterMs : undefined;
        if (ra !== undefined) {
          expect(d.delayMs).toBeGreaterThanOrEqual(ra);
          expect(ra).toBeLessThanOrEqual(p.maxRetryAfterMs);
        }
        expect(d.delayMs).toBeLessThanOrEqual(Math.max(p.maxDelayMs, p.maxRetryAfterMs));
        // "Retry-After: 0" means now; otherwise there is always some back-off.
        if (ra === undefined) expect(d.delayMs).toBeGreaterThan(0);
      }),
    );
  });
});

describe('webhook URL policy properties', () => {
  it('never allows a host outside the allowlist, nor http', () => {
    const label = fc.stringMatching(/^[a-z0-9]{1,10}$/);
    fc.assert(
      fc.property(fc.array(label, { minLength: 1, maxLength: 4 }), fc.constantFrom('http', 'https'), (labels, scheme) => {
        const host = `${labels.join('.')}.example`;
        expect(checkWebhookUrl(`${scheme}://${host}/x`, { allowedHosts: DEFAULT_ALLOWED_HOSTS }).ok).toBe(false);
        const allowed = checkWebhookUrl(`${scheme}://${labels.join('.')}.logic.azure.com/x`, { allowedHosts: DEFAULT_ALLOWED_HOSTS });
        expect(allowed.ok).toBe(scheme === 'https');
      }),
    );
  });

  it('never allows private IPv4 literals, whatever the allowlist', () => {
    const priv = fc.oneof(
      fc.tuple(fc.constant(10), fc.nat(255), fc.nat(255), fc.nat(255)),
      fc.tuple(fc.constant(192), fc.constant(168), fc.nat(255), fc.nat(255)),
      fc.tuple(fc.constant(172), fc.integer({ min: 16, max: 31 }), fc.nat(255), fc.nat(255)),
      fc.tuple(fc.constant(169), fc.constant(254), fc.nat(255), fc.nat(255)),
      fc.tuple(fc.constant(127), fc.nat(255), fc.nat(255), fc.nat(255)),
    );
    fc.assert(
      fc.property(priv, (parts) => {
        expect(checkWebhookUrl(`https://${parts.join('.')}/hook`, { allowedHosts: ['*'] }).ok).toBe(false);
      }),
    );
  });
});

describe('resource ids', () => {
  const SUB = '/subscriptions/s/resourceGroups/rg/providers';
  it.each([
    { uri: `${SUB}/Microsoft.Compute/galleries/g/images/i/versions/1.7.0`, type: 'gallery-image-version' },
    { uri: `${SUB.replace('resourceGroups', 'resourcegroups')}/microsoft.compute/galleries/g/images/i`, type: 'gallery-image' },
    { uri: `${SUB}/Microsoft.Compute/virtualMachineScaleSets/vmss-1`, type: 'scale-set' },
    { uri: `${SUB}/Microsoft.Compute/virtualMachineScaleSets/vmss-1/osRollingUpgrade`, type: 'scale-set' },
    { uri: `${SUB}/Microsoft.Compute/virtualMachineScaleSets/vmss-1/rollingUpgrades/cancel`, type: 'scale-set' },
    { uri: `${SUB}/Microsoft.VirtualMachineImages/imageTemplates/t`, type: 'image-template' },
    { uri: `${SUB}/Microsoft.Storage/storageAccounts/x`, type: 'other' },
  ])('classifies $uri as $type', ({ uri, type }) => {
    expect(classifyResourceUri(uri).type).toBe(type);
  });

  it('compares case-insensitively and builds portal links', () => {
    expect(sameResourceId(`${SUB}/Microsoft.Compute/virtualMachineScaleSets/A`, `${SUB.toLowerCase()}/microsoft.compute/virtualmachinescalesets/a/`)).toBe(true);
    expect(portalUrl(`${SUB}/Microsoft.Compute/virtualMachineScaleSets/vmss-1`)).toBe(
      'https://portal.azure.com/#@/resource/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachineScaleSets/vmss-1',
    );
  });
});
