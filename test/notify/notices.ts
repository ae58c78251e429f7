/** Notice factories telling the payments story. */
import type { Notice } from '../../src/notify/notice';

export const SUB = '00000000-0000-0000-0000-000000000001';
export const VERSION_170 = `/subscriptions/${SUB}/resourceGroups/rg-images/providers/Microsoft.Compute/galleries/galProd/images/payments-api/versions/1.7.0`;
export const VMSS_EASTUS = `/subscriptions/${SUB}/resourceGroups/rg-eastus/providers/Microsoft.Compute/virtualMachineScaleSets/payments-eastus`;

export function newDemotedNotice(overrides: Partial<Notice> = {}): Notice {
  return {
    kind: 'demoted',
    releaseId: 'payments-api-1.7.0',
    eventId: 'demote-1',
    versionId: VERSION_170,
    ring: 'canary',
    regions: ['eastus'],
    summary: 'The rolling upgrade faulted after the first batch; 1.7.0 is excluded from latest everywhere.',
    numbers: { batch: 1, batchCount: 5, unhealthyPercent: 40, unhealthyLimitPercent: 20, instancesUpgraded: 2, instancesFailed: 2, instancesTotal: 10 },
    azureErrorCode: 'MaxUnhealthyUpgradedInstancePercentExceededInRollingUpgrade',
    nextStep: 'Fix the image and publish 1.7.1; the monthly rebake will not retry 1.7.0.',
    scaleSetIds: [VMSS_EASTUS],
    dashboardUrl: 'https://ringmaster.example.net/releases/payments-api-1.7.0',
    occurredAt: '2026-11-02T10:12:00Z',
    ...overrides,
  };
}

export function newRingOpenedNotice(overrides: Partial<Notice> = {}): Notice {
  return {
    kind: 'ring-opened',
    releaseId: 'payments-api-1.7.1',
    eventId: 'ring-1-open',
    versionId: VERSION_170.replace('1.7.0', '1.7.1'),
    ring: 'early',
    regions: ['westus3', 'northeurope'],
    summary: 'Canary soaked 30 minutes healthy; ring early is open.',
    occurredAt: '2026-11-03T09:00:00Z',
    ...overrides,
  };
}
