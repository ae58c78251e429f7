/**
 * zod schemas for the events Ringmaster receives and publishes.
 *
 * Envelopes: the Event Grid schema (`eventType`, `eventTime`, `dataVersion`) and CloudEvents 1.0 (`specversion`,
 * `type`, `source`). Payloads: the ARM `Microsoft.Resources.Resource{Write,Action}{Success,Failure}` system events,
 * the Event Grid subscription validation event and Ringmaster's own CloudEvent types.
 * Unknown fields pass through (Azure adds fields over time); missing required fields fail with their path.
 */
import { z } from 'zod';
import { parseGalleryImageVersionId, parseScaleSetId } from './resource-ids';

const nonEmpty = z.string().min(1, 'must not be empty');
const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO 8601 time');
const armId = z.string().regex(/^\/subscriptions\/[^/]+\//i, 'must be an ARM resource id (/subscriptions/…)');
const exact = (id: string) => id === id.trim() && !id.endsWith('/');
const versionId = z.string().refine((id) => exact(id) && parseGalleryImageVersionId(id) !== undefined, 'must be a gallery image version id (…/galleries/{g}/images/{i}/versions/{v})');
const scaleSetId = z.string().refine((id) => exact(id) && parseScaleSetId(id) !== undefined, 'must be a VM scale set id (…/virtualMachineScaleSets/{name})');

export const eventGridEnvelopeSchema = z.looseObject({
  id: nonEmpty,
  topic: z.string().optional(),
  subject: z.string(),
  eventType: nonEmpty,
  eventTime: isoTime,
  data: z.unknown(),
  dataVersion: z.string(),
  metadataVersion: z.string().optional(),
});

export const cloudEventEnvelopeSchema = z.looseObject({
  specversion: z.literal('1.0', { error: (i) => (i.input === undefined ? 'required' : 'must be "1.0"') }),
  id: nonEmpty,
  source: nonEmpty,
  type: nonEmpty,
  time: isoTime.optional(),
  subject: z.string().optional(),
  datacontenttype: z.string().optional(),
  dataschema: z.string().optional(),
  data: z.unknown().optional(),
  data_base64: z.string().optional(),
});

export const ARM_RESOURCE_EVENT_TYPES = [
  'Microsoft.Resources.ResourceWriteSuccess',
  'Microsoft.Resources.ResourceWriteFailure',
  'Microsoft.Resources.ResourceActionSuccess',
  'Microsoft.Resources.ResourceActionFailure',
] as const;
export type ArmResourceEventType = (typeof ARM_RESOURCE_EVENT_TYPES)[number];

/**
 * `data` of ARM resource events. The samples carry `status: "Succeeded"` even on Failure events, so the outcome is
 * taken from the event type, never from `status`.
 */
export const armResourceEventDataSchema = z.looseObject({
  resourceUri: armId,
  operationName: nonEmpty,
  resourceProvider: z.string().optional(),
  status: z.string().optional(),
  subscriptionId: z.string().optional(),
  tenantId: z.string().optional(),
  correlationId: z.string().optional(),
  authorization: z.looseObject({ scope: z.string().optional(), action: z.string().optional() }).optional(),
});

export const SUBSCRIPTION_VALIDATION_EVENT_TYPE = 'Microsoft.EventGrid.SubscriptionValidationEvent';
export const subscriptionValidationDataSchema = z.looseObject({
  validationCode: nonEmpty,
  validationUrl: z.string().optional(),
});

const replicationState = z.enum(['Completed', 'Replicating', 'Failed', 'Unknown']);
const progressSchema = z.object({
  successful: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  inProgress: z.number().int().nonnegative(),
  pending: z.number().int().nonnegative(),
});

export const versionPublishedDataSchema = z.looseObject({
  versionId,
  publishedAt: isoTime.optional(),
  targetRegions: z.array(z.string()).optional(),
});
export const replicationCompletedDataSchema = z.looseObject({
  versionId,
  region: nonEmpty,
  state: replicationState,
});
export const upgradeDataSchema = z.looseObject({
  scaleSetId,
  versionId: versionId.optional(),
  region: z.string().optional(),
  code: z.enum(['RollingForward', 'Cancelled', 'Completed', 'Faulted', 'Unknown']),
  errorCode: z.string().optional(),
  errorMessage: z.string().optional(),
  progress: progressSchema,
});
export const rebakeDataSchema = z.looseObject({
  imageTemplateId: armId,
  runState: nonEmpty,
  message: z.string().optional(),
  versionId: versionId.optional(),
});

/** Ringmaster's own CloudEvent types and their `data` schemas. */
export const RINGMASTER_EVENT_SCHEMAS = {
  'ringmaster.image.version.published': versionPublishedDataSchema,
  'ringmaster.image.replication.completed': replicationCompletedDataSchema,
  'ringmaster.upgrade.started': upgradeDataSchema,
  'ringmaster.upgrade.failed': upgradeDataSchema,
  'ringmaster.upgrade.completed': upgradeDataSchema,
  'ringmaster.rebake.succeeded': rebakeDataSchema,
  'ringmaster.rebake.failed': rebakeDataSchema,
} as const;

export type RingmasterEventType = keyof typeof RINGMASTER_EVENT_SCHEMAS;
export type RingmasterEventData<T extends RingmasterEventType> = z.infer<(typeof RINGMASTER_EVENT_SCHEMAS)[T]>;
export type VersionPublishedData = z.infer<typeof versionPublishedDataSchema>;
export type ReplicationCompletedData = z.infer<typeof replicationCompletedDataSchema>;
export type UpgradeEventData = z.infer<typeof upgradeDataSchema>;
export type RebakeEventData = z.infer<typeof rebakeDataSchema>;

export function isRingmasterEventType(type: string): type is RingmasterEventType {
  return Object.hasOwn(RINGMASTER_EVENT_SCHEMAS, type);
}
