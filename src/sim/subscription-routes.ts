// Subscriptions: the locations a subscription can use (`Subscriptions_ListLocations`), with each region's pair in
// `metadata.pairedRegion`, as @azure/arm-resources-subscriptions reads them.
import { ArmError } from './arm-errors';
import { armPath, type Route } from './arm-router';
import { locationsJson } from './regions';

export const subscriptionRoutes: Route[] = [
  {
    method: 'GET', pattern: armPath('/subscriptions/{s}/locations'), op: 'Subscriptions_ListLocations', api: 'resources', kind: 'read',
    handler: (ctx) => {
      if (ctx.params[0]?.toLowerCase() !== ctx.sim.state.subscriptionId.toLowerCase()) {
        throw new ArmError(404, 'SubscriptionNotFound', `The subscription '${ctx.params[0] ?? ''}' could not be found.`);
      }
      return { status: 200, body: locationsJson(ctx.sim.state.subscriptionId) };
    },
  },
];
