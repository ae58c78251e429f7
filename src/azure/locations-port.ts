/**
 * Azure's region pairs as ARM publishes them: `subscriptions.listLocations` → each location's
 * `metadata.pairedRegion`. One read per subscription; regions come back in the short lower-case form plans use.
 */
import type { SubscriptionClient } from '@azure/arm-resources-subscriptions';
import type { RegionPairs } from '../core';
import { callArm, normalizeRegion, type CallOptions, type PortRuntime } from './port-runtime';

export interface LocationsPort {
  /** Region → its pair, for every location of the subscription that has one. */
  readRegionPairs(subscriptionId: string, options?: CallOptions): Promise<RegionPairs>;
}

export function createLocationsPort(client: SubscriptionClient, runtime: PortRuntime = {}): LocationsPort {
  return {
    async readRegionPairs(subscriptionId, options) {
      return callArm(
        'locations.listLocations',
        async () => {
          const pairs: Record<string, string> = {};
          for await (const l of client.subscriptions.listLocations(subscriptionId, options?.abortSignal ? { abortSignal: options.abortSignal } : {})) {
            const paired = l.metadata?.pairedRegion?.[0]?.name;
            if (l.name && paired) pairs[normalizeRegion(l.name)] = normalizeRegion(paired);
          }
          return pairs;
        },
        runtime,
        options,
      );
    },
  };
}
