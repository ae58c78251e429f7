/**
 * One place that builds the SDK clients' options, so every client gets the same endpoint, token scope, TLS trust and
 * — on purpose — no SDK retries: `retryOptions: { maxRetries: 0 }` (core-rest-pipeline clients) and
 * `noRetryPolicy: true` (ms-rest-js, Resource Graph). Retries happen once, in `retry.ts`, where Retry-After is honoured
 * on an injectable clock; stacked policies would multiply attempts and sleep on the real clock.
 */
import type { TokenCredential } from '@azure/identity';
import { ComputeManagementClient } from '@azure/arm-compute';
import { ImageBuilderClient } from '@azure/arm-imagebuilder';
import { MonitorClient } from '@azure/arm-monitor';
import { ResourceGraphClient } from '@azure/arm-resourcegraph';
import { SubscriptionClient } from '@azure/arm-resources-subscriptions';
import { trustedCas } from './credentials';
import { nodeHttpClientForResourceGraph } from './resource-graph-http';

export interface ArmConnection {
  credential: TokenCredential;
  /** ARM endpoint, e.g. https://management.azure.com or the simulator's https://127.0.0.1:<port>. */
  endpoint: string;
  /** Extra CA (PEM) to trust, e.g. the simulator's. */
  caPem?: string;
}

const ARM_SCOPE = 'https://management.azure.com/.default';
const USER_AGENT = 'ringmaster';

/** Options for the modular clients (arm-compute 24, arm-imagebuilder 5). */
export function modularClientOptions(c: ArmConnection) {
  const ca = trustedCas(c.caPem, c.endpoint);
  return {
    endpoint: c.endpoint,
    credentials: { scopes: [ARM_SCOPE] },
    retryOptions: { maxRetries: 0 },
    userAgentOptions: { userAgentPrefix: USER_AGENT },
    ...(ca ? { tlsOptions: { ca } } : {}),
  };
}

export function computeClient(c: ArmConnection, subscriptionId: string): ComputeManagementClient {
  return new ComputeManagementClient(c.credential, subscriptionId, modularClientOptions(c));
}

export function imageBuilderClient(c: ArmConnection, subscriptionId: string): ImageBuilderClient {
  return new ImageBuilderClient(c.credential, subscriptionId, modularClientOptions(c));
}

/** Options for the core-client clients (arm-monitor 7, arm-resources-subscriptions 2). */
function coreClientOptions(c: ArmConnection) {
  const ca = trustedCas(c.caPem, c.endpoint);
  return {
    endpoint: c.endpoint,
    credentialScopes: [ARM_SCOPE],
    retryOptions: { maxRetries: 0 },
    userAgentOptions: { userAgentPrefix: USER_AGENT },
    ...(ca ? { tlsOptions: { ca } } : {}),
  };
}

export function monitorClient(c: ArmConnection, subscriptionId: string): MonitorClient {
  return new MonitorClient(c.credential, subscriptionId, coreClientOptions(c));
}

export function subscriptionClient(c: ArmConnection): SubscriptionClient {
  return new SubscriptionClient(c.credential, coreClientOptions(c));
}

/**
 * Resource Graph 4.x is an ms-rest-js client: retries off via `noRetryPolicy`; TLS and transport via our own
 * `httpClient` (see `resource-graph-http.ts` for why the default node-fetch client is not used).
 */
export function resourceGraphClient(c: ArmConnection): ResourceGraphClient {
  return new ResourceGraphClient(c.credential, {
    baseUri: c.endpoint,
    noRetryPolicy: true,
    userAgent: (d: string) => `${USER_AGENT} ${d}`,
    httpClient: nodeHttpClientForResourceGraph(trustedCas(c.caPem, c.endpoint)),
  });
}
