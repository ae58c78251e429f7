// Event Grid events the simulated platform raises (Microsoft.Resources.* on the subscription's system topic),
// and the Event Grid / CloudEvents 1.0 envelopes they are delivered in.

export interface SimEvent {
  id: string;
  topic: string;
  subject: string;
  eventType: string;
  eventTime: string;
  data: unknown;
  dataVersion: string;
  metadataVersion: '1';
  /** 'system' for platform events, or the custom topic's name. */
  channel: string;
}

export interface ResourceEventInput {
  subscriptionId: string;
  tenantId: string;
  eventType: string;
  resourceUri: string;
  operationName: string;
  method: string;
  url: string;
  correlationId: string;
  clientRequestId: string;
  principalId: string;
}

export function resourceEvent(id: string, time: Date, i: ResourceEventInput): SimEvent {
  const provider = /\/providers\/([^/]+)\//i.exec(i.resourceUri)?.[1] ?? 'Microsoft.Resources';
  const epoch = Math.floor(time.getTime() / 1000);
  return {
    id,
    topic: `/subscriptions/${i.subscriptionId}`,
    subject: i.resourceUri,
    eventType: i.eventType,
    eventTime: time.toISOString(),
    dataVersion: '2',
    metadataVersion: '1',
    channel: 'system',
    data: {
      authorization: {
        scope: i.resourceUri,
        action: i.operationName,
        evidence: {
          role: 'Contributor',
          roleAssignmentScope: `/subscriptions/${i.subscriptionId}`,
          roleAssignmentId: '00000000-0000-0000-0000-00000000c0de',
          roleDefinitionId: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
          principalId: i.principalId,
          principalType: 'ServicePrincipal',
        },
      },
      claims: {
        aud: 'https://management.azure.com/',
        iss: `https://sts.windows.net/${i.tenantId}/`,
        iat: String(epoch - 60),
        nbf: String(epoch - 60),
        exp: String(epoch + 3600),
        appid: i.principalId,
        appidacr: '2',
        'http://schemas.microsoft.com/identity/claims/objectidentifier': i.principalId,
        'http://schemas.microsoft.com/identity/claims/tenantid': i.tenantId,
        ver: '1.0',
      },
      correlationId: i.correlationId,
      httpRequest: { clientRequestId: i.clientRequestId, clientIpAddress: '127.0.0.1', method: i.method, url: i.url },
      resourceProvider: provider,
      resourceUri: i.resourceUri,
      operationName: i.operationName,
      status: 'Succeeded',
      subscriptionId: i.subscriptionId,
      tenantId: i.tenantId,
    },
  };
}

export function toEventGridSchema(e: SimEvent): Record<string, unknown> {
  return {
    id: e.id,
    topic: e.topic,
    subject: e.subject,
    eventType: e.eventType,
    eventTime: e.eventTime,
    data: e.data,
    dataVersion: e.dataVersion,
    metadataVersion: e.metadataVersion,
  };
}

export function toCloudEvent(e: SimEvent): Record<string, unknown> {
  return {
    specversion: '1.0',
    id: e.id,
    source: e.topic,
    subject: e.subject,
    type: e.eventType,
    time: e.eventTime,
    datacontenttype: 'application/json',
    data: e.data,
  };
}
