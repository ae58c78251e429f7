/**
 * Event Grid and alert wiring, read from the compiled ARM JSON of infra/main.bicep: it matches what the registrations
 * expect, uses the subscription's one system topic (existing or created), and puts one alert in each fleet subscription.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { RINGMASTER_EVENT_SCHEMAS } from '../../src/azure/event-schemas';
import { ARM_ACTIONS } from '../../src/azure/arm-actions';
import { EVENT_SCHEMAS } from '../../src/functions/events';
import { callsOf, parseExpression, print } from './arm-expression';
import { type ArmResource, type ArmTemplate, describeWithArm, moduleNamed, moduleTemplate, ofType, resourcesOf } from './bicep-cli';

type EventSubscription = ArmResource & {
  properties: {
    destination: { endpointType: string; properties: { resourceId: string } };
    eventDeliverySchema: string;
    filter: { includedEventTypes: string[]; advancedFilters?: { operatorType: string; key: string; values: string[] }[] };
  };
};

const functionOf = (s: EventSubscription) => /\/functions\/([A-Za-z]+)'/.exec(s.properties.destination.properties.resourceId)?.[1];

describeWithArm('Event Grid subscriptions (compiled ARM JSON)', (arm) => {
  const wiring = () => moduleTemplate(arm(), 'wiring');
  const systemTopicSubscription = () => ofType(wiring(), 'Microsoft.EventGrid/systemTopics/eventSubscriptions')[0] as EventSubscription;
  const customTopicSubscription = () => ofType(wiring(), 'Microsoft.EventGrid/topics/eventSubscriptions')[0] as EventSubscription;

  it('two subscriptions, each to an AzureFunction destination, delivering the schema each trigger expects (EVENT_SCHEMAS)', () => {
    const subs = [systemTopicSubscription(), customTopicSubscription()];
    expect(subs.map((s) => s.properties.destination.endpointType)).toEqual(['AzureFunction', 'AzureFunction']);
    expect(Object.fromEntries(subs.map((s) => [functionOf(s), s.properties.eventDeliverySchema]))).toEqual(EVENT_SCHEMAS);
  });

  it('onResourceEvent: the system topic, filtered to gallery version writes and the scale set actions', () => {
    const sub = systemTopicSubscription();
    expect(functionOf(sub)).toBe('onResourceEvent');
    expect(sub.properties.filter.includedEventTypes).toEqual([
      'Microsoft.Resources.ResourceWriteSuccess',
      'Microsoft.Resources.ResourceActionSuccess',
      'Microsoft.Resources.ResourceActionFailure',
    ]);
    const ops = sub.properties.filter.advancedFilters?.find((f) => f.key === 'data.operationName')?.values ?? [];
    expect(ops).toContain('Microsoft.Compute/galleries/images/versions/write');
    // Every scale set action Ringmaster itself performs raises an event it wants to see.
    expect(ops).toContain(ARM_ACTIONS['fleet.startOSUpgrade'].actions[0]);
    expect(ops).toContain(ARM_ACTIONS['fleet.cancelRollingUpgrade'].actions[0]);
    expect(ops).toContain('Microsoft.Compute/virtualMachineScaleSets/write');
  });

  it('onReleaseEvent: the custom topic takes CloudEvents 1.0 with Entra auth only, filtered to Ringmaster\'s own types', () => {
    const [topic] = ofType(moduleTemplate(arm(), 'eventing'), 'Microsoft.EventGrid/topics');
    expect(topic?.properties).toMatchObject({ inputSchema: 'CloudEventSchemaV1_0', disableLocalAuth: true });
    const sub = customTopicSubscription();
    expect(functionOf(sub)).toBe('onReleaseEvent');
    expect([...sub.properties.filter.includedEventTypes].sort()).toEqual(Object.keys(RINGMASTER_EVENT_SCHEMAS).sort());
  });
});

describeWithArm('undeliverable events are dead-lettered, not lost (compiled ARM JSON)', (arm) => {
  type DeadLettered = ArmResource & { properties: { deadLetterWithResourceIdentity?: unknown } };
  const wiring = () => moduleTemplate(arm(), 'wiring');

  it('the custom topic subscription dead-letters to the host storage container with the topic\'s own identity', () => {
    const sub = ofType(wiring(), 'Microsoft.EventGrid/topics/eventSubscriptions')[0] as DeadLettered;
    expect(sub.properties.deadLetterWithResourceIdentity).toMatchObject({
      identity: { type: 'SystemAssigned' },
      deadLetterDestination: { endpointType: 'StorageBlob', properties: { resourceId: "[parameters('deadLetterStorageId')]", blobContainerName: "[parameters('deadLetterContainerName')]" } },
    });
  });

  it('the system topic subscription dead-letters only when Ringmaster created the topic (an existing one may have no identity)', () => {
    const sub = ofType(wiring(), 'Microsoft.EventGrid/systemTopics/eventSubscriptions')[0] as DeadLettered;
    expect(String(sub.properties.deadLetterWithResourceIdentity)).toMatch(/^\[if\(parameters\('deadLetter'\)/);
  });

  it('both topics have a system-assigned identity with Storage Blob Data Contributor on the dead-letter container, and the container exists', () => {
    const eventing = moduleTemplate(arm(), 'eventing');
    for (const type of ['Microsoft.EventGrid/topics', 'Microsoft.EventGrid/systemTopics']) expect(ofType(eventing, type)[0]?.identity).toEqual({ type: 'SystemAssigned' });
    const grants = ofType(eventing, 'Microsoft.Authorization/roleAssignments').filter((r) => JSON.stringify(r.properties).includes('dead-letters'));
    expect(grants).toHaveLength(2);
    expect(JSON.stringify(eventing)).toContain('ba92f5b4-2d11-453d-a403-e96b0029c9fe'); // Storage Blob Data Contributor
    // On the dead-letter container, not the whole account.
    for (const g of grants) expect(String(g.scope)).toMatch(/blobServices\/containers/);
    const containers = ofType(moduleTemplate(arm(), 'storage'), 'Microsoft.Storage/storageAccounts/blobServices/containers');
    expect(JSON.stringify(containers)).toContain('deadLetterContainerName');
  });
});

describeWithArm('the system topic is a parameter: the existing one, or one created when there is none (compiled)', (arm) => {
  it('main.bicep takes existingSystemTopicId, empty by default', () => {
    expect(arm().parameters?.existingSystemTopicId).toMatchObject({ type: 'string', defaultValue: '' });
    expect(arm().variables?.createSystemTopic).toBe("[empty(parameters('existingSystemTopicId'))]");
  });

  it('eventing creates the Microsoft.Resources.Subscriptions system topic only when createSystemTopic', () => {
    const eventing = moduleNamed(arm(), 'eventing');
    expect((eventing.properties?.parameters as Record<string, { value: unknown }>).createSystemTopic).toEqual({ value: "[variables('createSystemTopic')]" });
    const topics = ofType(moduleTemplate(arm(), 'eventing'), 'Microsoft.EventGrid/systemTopics');
    expect(topics).toHaveLength(1);
    expect(topics[0]?.condition).toBe("[parameters('createSystemTopic')]");
    expect(topics[0]?.properties).toMatchObject({ topicType: 'Microsoft.Resources.Subscriptions', source: '[subscription().id]' });
  });

  it('the event subscription is deployed to the topic\'s own subscription and resource group, taken from the id when given', () => {
    const events = moduleNamed(moduleTemplate(arm(), 'wiring'), /^\[format\('ringmaster-resource-events-\{0\}'/);
    expect(events.subscriptionId).toBe("[parameters('systemTopicSubscriptionId')]");
    expect(events.resourceGroup).toBe("[parameters('systemTopicResourceGroup')]");
    // Named per app: two environments may share the one system topic without overwriting each other's subscription.
    const [sub] = ofType(events.properties!.template!, 'Microsoft.EventGrid/systemTopics/eventSubscriptions');
    expect(sub?.name).toBe("[format('{0}/{1}', parameters('systemTopicName'), format('{0}-resource-events', parameters('functionAppName')))]");
    const v = arm().variables ?? {};
    expect(v.systemTopicResourceGroup).toBe("[if(variables('createSystemTopic'), parameters('resourceGroupName'), split(parameters('existingSystemTopicId'), '/')[4])]");
    expect(v.systemTopicSubscriptionId).toBe("[if(variables('createSystemTopic'), subscription().subscriptionId, split(parameters('existingSystemTopicId'), '/')[2])]");
    expect(String(v.systemTopicName)).toContain("last(split(parameters('existingSystemTopicId'), '/'))");
  });
});

describeWithArm('dead-lettering on the system topic: a created topic, or an existing one whose identity is named (compiled)', (arm) => {
  it('main.bicep takes the existing topic\'s principal id, empty by default, and dead-letters when it has an identity', () => {
    expect(arm().parameters?.existingSystemTopicPrincipalId).toMatchObject({ type: 'string', defaultValue: '' });
    expect(arm().variables?.systemTopicDeadLetter).toBe("[or(variables('createSystemTopic'), not(empty(parameters('existingSystemTopicPrincipalId'))))]");
    expect((moduleNamed(arm(), 'wiring').properties?.parameters as Record<string, { value: unknown }>).systemTopicDeadLetter).toEqual({ value: "[variables('systemTopicDeadLetter')]" });
  });

  it('the topic\'s identity gets Storage Blob Data Contributor on the dead-letter container, for an existing topic too', () => {
    const grants = ofType(moduleTemplate(arm(), 'eventing'), 'Microsoft.Authorization/roleAssignments').filter((r) => String(r.name).includes('systemTopics') || String(r.condition).includes('existingSystemTopicPrincipalId'));
    expect(grants).toHaveLength(1);
    expect(grants[0]?.condition).toBe("[or(parameters('createSystemTopic'), not(empty(parameters('existingSystemTopicPrincipalId'))))]");
    expect(String((grants[0]?.properties as { principalId: string }).principalId)).toContain("parameters('existingSystemTopicPrincipalId')");
  });

  it('the system topic\'s event subscription dead-letters with the topic\'s identity only when told it has one', () => {
    const events = moduleNamed(moduleTemplate(arm(), 'wiring'), /^\[format\('ringmaster-resource-events-\{0\}'/);
    expect((events.properties?.parameters as Record<string, { value: unknown }>).deadLetter).toEqual({ value: "[parameters('systemTopicDeadLetter')]" });
    const [sub] = ofType(events.properties!.template!, 'Microsoft.EventGrid/systemTopics/eventSubscriptions');
    expect(String((sub?.properties as { deadLetterWithResourceIdentity: string }).deadLetterWithResourceIdentity)).toMatch(/^\[if\(parameters\('deadLetter'\)/);
  });
});

describeWithArm('alerts (compiled ARM JSON)', (arm) => {
  const wiring = (): ArmTemplate => moduleTemplate(arm(), 'wiring');

  it("an action group (common alert schema) → the onAlert route with onAlert's own function key (it cannot call the operator API)", () => {
    const [group] = ofType(wiring(), 'Microsoft.Insights/actionGroups');
    const receivers = (group?.properties as { webhookReceivers: { serviceUri: string; useCommonAlertSchema: boolean }[] }).webhookReceivers;
    expect(receivers).toHaveLength(1);
    expect(receivers[0]?.useCommonAlertSchema).toBe(true);
    const uri = parseExpression(receivers[0]?.serviceUri ?? '');
    expect(print(uri)).toContain("'https://{0}/api/alerts?code={1}'");
    const keys = callsOf(uri, 'listKeys');
    expect(keys).toHaveLength(1);
    expect(print(keys[0]!)).toContain("'{0}/functions/onAlert'");
    expect(print(keys[0]!)).not.toContain('host/default');
  });

  it('one activity-log alert per fleet subscription, each deployed at that subscription, each scoped to it alone', () => {
    const perSubscription = resourcesOf(wiring()).filter((r) => r.type === 'Microsoft.Resources/deployments' && r.copy);
    expect(perSubscription).toHaveLength(1);
    const loop = perSubscription[0]!;
    expect(loop.copy?.count).toBe("[length(parameters('alertSubscriptionIds'))]");
    expect(loop.subscriptionId).toBe("[parameters('alertSubscriptionIds')[copyIndex()]]");
    expect(loop.resourceGroup).toBeUndefined();
    const alerts = ofType(wiring(), 'Microsoft.Insights/activityLogAlerts');
    expect(alerts).toHaveLength(1);
    const alert = alerts[0]!.properties as { scopes: string[]; condition: { allOf: { field: string; equals: string }[] }; actions: { actionGroups: { actionGroupId: string }[] } };
    expect(alert.scopes).toEqual(['[subscription().id]']);
    expect(alert.condition.allOf).toEqual([
      { field: 'category', equals: 'Administrative' },
      { field: 'operationName', equals: ARM_ACTIONS['fleet.startOSUpgrade'].actions[0] },
      { field: 'status', equals: 'Failed' },
    ]);
    expect(alert.actions.actionGroups.map((g) => g.actionGroupId)).toEqual(["[parameters('actionGroupId')]"]);
    // Nowhere is an alert given a list of subscriptions.
    for (const a of ofType(arm(), 'Microsoft.Insights/activityLogAlerts')) expect((a.properties as { scopes: unknown }).scopes).toEqual(['[subscription().id]']);
  });

  it('in the deployment subscription the alert goes to Ringmaster\'s resource group; elsewhere to a group created for it', () => {
    const loop = resourcesOf(wiring()).find((r) => r.copy)!;
    const params = loop.properties?.parameters as Record<string, unknown>;
    expect(params.resourceGroupName).toBe("[if(equals(parameters('alertSubscriptionIds')[copyIndex()], subscription().subscriptionId), createObject('value', resourceGroup().name), createObject('value', parameters('alertResourceGroupName')))]");
    expect(params.createResourceGroup).toEqual({ value: "[not(equals(parameters('alertSubscriptionIds')[copyIndex()], subscription().subscriptionId))]" });
    const [group] = ofType(wiring(), 'Microsoft.Resources/resourceGroups');
    expect(group?.condition).toBe("[parameters('createResourceGroup')]");
    // main passes every fleet subscription.
    const wiringCall = moduleNamed(arm(), 'wiring').properties?.parameters as Record<string, { value: unknown }>;
    expect(wiringCall.alertSubscriptionIds).toEqual({ value: "[variables('fleetSubs')]" });
  });
});

describeWithArm('postdeploy.sh deploys wiring.bicep with every parameter it requires (compiled)', (arm) => {
  it('names each parameter without a default, and only parameters the template has', () => {
    const script = readFileSync(join(__dirname, '../../infra/hooks/postdeploy.sh'), 'utf8');
    const block = script.slice(script.indexOf('--template-file infra/modules/wiring.bicep'), script.indexOf('--output none'));
    const passed = [...block.matchAll(/^\s+(\w+)="/gm)].map((m) => m[1]!);
    expect(passed.length).toBeGreaterThan(5);
    const params = arm().parameters ?? {};
    const required = Object.entries(params).filter(([, p]) => (p as { defaultValue?: unknown }).defaultValue === undefined).map(([name]) => name);
    expect(required.filter((n) => !passed.includes(n))).toEqual([]);
    expect(passed.filter((n) => !(n in params))).toEqual([]);
  });
}, 'infra/modules/wiring.bicep');
