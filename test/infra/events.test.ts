/** Event Grid and alert wiring in infra/ matches what the registrations expect. */
import { describe, expect, it } from 'vitest';
import { RINGMASTER_EVENT_SCHEMAS } from '../../src/azure/event-schemas';
import { ARM_ACTIONS } from '../../src/azure/arm-actions';
import { EVENT_SCHEMAS } from '../../src/functions/events';
import { arrayProperty, bicep, resourceBody } from './bicep-text';

const wiring = bicep('modules/wiring.bicep');
const eventing = bicep('modules/eventing.bicep');

/** `functionName → eventDeliverySchema` of every event subscription with an AzureFunction destination. */
function deliverySchemas(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const symbolic of ['resourceEvents', 'releaseEvents']) {
    const body = resourceBody(wiring, symbolic);
    const fn = /\/functions\/([A-Za-z]+)'/.exec(body)?.[1];
    const schema = /eventDeliverySchema: '([^']+)'/.exec(body)?.[1];
    if (fn && schema) out[fn] = schema;
  }
  return out;
}

describe('Event Grid subscriptions', () => {
  it('deliver the schema each trigger expects (EVENT_SCHEMAS in src/functions/events.ts)', () => {
    expect(deliverySchemas()).toEqual(EVENT_SCHEMAS);
  });

  it('onResourceEvent: the fleet subscription system topic, filtered to gallery version writes and the scale set actions', () => {
    expect(eventing).toMatch(/topicType: 'Microsoft\.Resources\.Subscriptions'/);
    expect(eventing).toMatch(/source: subscription\(\)\.id/);
    const body = resourceBody(wiring, 'resourceEvents');
    expect(body).toContain('parent: systemTopic');
    expect(body).toContain("endpointType: 'AzureFunction'");
    expect(arrayProperty(body, 'includedEventTypes')).toEqual([
      'Microsoft.Resources.ResourceWriteSuccess',
      'Microsoft.Resources.ResourceActionSuccess',
      'Microsoft.Resources.ResourceActionFailure',
    ]);
    const ops = arrayProperty(body, 'values');
    expect(ops).toContain('Microsoft.Compute/galleries/images/versions/write');
    // Every scale set action Ringmaster itself performs raises an event it wants to see.
    expect(ops).toContain(ARM_ACTIONS['fleet.startOSUpgrade'].actions[0]);
    expect(ops).toContain(ARM_ACTIONS['fleet.cancelRollingUpgrade'].actions[0]);
    expect(ops).toContain('Microsoft.Compute/virtualMachineScaleSets/write');
  });

  it('onReleaseEvent: the custom topic takes CloudEvents 1.0 with Entra auth only, filtered to Ringmaster\'s own types', () => {
    const topic = resourceBody(eventing, 'customTopic');
    expect(topic).toContain("inputSchema: 'CloudEventSchemaV1_0'");
    expect(topic).toContain('disableLocalAuth: true');
    const body = resourceBody(wiring, 'releaseEvents');
    expect(body).toContain('parent: customTopic');
    expect([...arrayProperty(body, 'includedEventTypes')].sort()).toEqual(Object.keys(RINGMASTER_EVENT_SCHEMAS).sort());
  });
});

describe('alerts', () => {
  it('an activity-log alert → action group (common alert schema) → the onAlert route with the function key', () => {
    const group = resourceBody(wiring, 'actionGroup');
    expect(group).toContain('useCommonAlertSchema: true');
    expect(group).toMatch(/\/api\/alerts\?code=\$\{listKeys\('\$\{functionApp\.id\}\/host\/default'/);
    const alert = resourceBody(wiring, 'upgradeFailedAlert');
    expect(wiring).toContain("resource upgradeFailedAlert 'Microsoft.Insights/activityLogAlerts@");
    expect(alert).toContain('actionGroupId: actionGroup.id');
    expect(alert).toContain("field: 'category', equals: 'Administrative'");
  });
});
