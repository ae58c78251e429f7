// The event subscriptions and the alert path, deployed once the functions exist (infra/hooks/postdeploy.sh, or
// `azd provision` with RINGMASTER_WIRE_EVENTS=true): Event Grid validates an AzureFunction destination against the
// deployed function, and the action group's webhook needs the app's function key.
//
// Delivery schemas match EVENT_SCHEMAS in src/functions/events.ts (test/infra/events.test.ts checks them):
//   onResourceEvent ← system topic, EventGridSchema;  onReleaseEvent ← custom topic, CloudEventSchemaV1_0.
param functionAppName string
@description('Name of the subscription\'s Event Grid system topic (Ringmaster\'s, or the existing one).')
param systemTopicName string

@description('Subscription and resource group of that system topic.')
param systemTopicSubscriptionId string = subscription().subscriptionId
param systemTopicResourceGroup string
param customTopicName string
param tags object

@description('Subscriptions whose activity log is watched (the fleet subscriptions): one alert in each.')
param alertSubscriptionIds array

@description('Resource group created for the alert in each fleet subscription other than this one.')
param alertResourceGroupName string

@description('Region of those resource groups.')
param location string = resourceGroup().location

@description('Name of the activity-log alert rule; list it in a plan\'s health.alerts to make it a gate.')
param alertRuleName string

@description('Host storage account id and container for dead-lettered events; whether the system topic has an identity with write access there (Ringmaster created it, or its principal was named).')
param deadLetterStorageId string
param deadLetterContainerName string
param systemTopicDeadLetter bool

resource functionApp 'Microsoft.Web/sites@2025-03-01' existing = {
  name: functionAppName
}

resource customTopic 'Microsoft.EventGrid/topics@2025-02-15' existing = {
  name: customTopicName
}

// The system topic may live in another resource group (an existing one: one system topic per source).
module resourceEvents 'system-topic-events.bicep' = {
  name: 'ringmaster-resource-events-${uniqueString(functionAppName)}'
  scope: resourceGroup(systemTopicSubscriptionId, systemTopicResourceGroup)
  params: {
    systemTopicName: systemTopicName
    functionAppName: functionAppName
    functionAppSubscriptionId: subscription().subscriptionId
    functionAppResourceGroup: resourceGroup().name
    deadLetter: systemTopicDeadLetter
    deadLetterStorageId: deadLetterStorageId
    deadLetterContainerName: deadLetterContainerName
  }
}

resource releaseEvents 'Microsoft.EventGrid/topics/eventSubscriptions@2025-02-15' = {
  parent: customTopic
  name: 'ringmaster-release-events'
  properties: {
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: '${functionApp.id}/functions/onReleaseEvent'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    eventDeliverySchema: 'CloudEventSchemaV1_0'
    // What Event Grid could not deliver in 24 hours goes to a blob, not away (the topic's own identity writes it).
    deadLetterWithResourceIdentity: {
      identity: { type: 'SystemAssigned' }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: { resourceId: deadLetterStorageId, blobContainerName: deadLetterContainerName }
      }
    }
    filter: {
      includedEventTypes: [
        'ringmaster.image.version.published'
        'ringmaster.image.replication.completed'
        'ringmaster.upgrade.started'
        'ringmaster.upgrade.failed'
        'ringmaster.upgrade.completed'
        'ringmaster.rebake.succeeded'
        'ringmaster.rebake.failed'
      ]
    }
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
  }
}

// Azure Monitor → onAlert (HTTP, function key), common alert schema.
resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: 'ag-ringmaster'
  location: 'Global'
  tags: tags
  properties: {
    groupShortName: 'ringmaster'
    enabled: true
    webhookReceivers: [
      {
        name: 'ringmaster-onAlert'
        // onAlert's own function key: it authorizes the alert webhook only, never the operator API (pause, approve…).
        serviceUri: 'https://${functionApp.properties.defaultHostName}/api/alerts?code=${listKeys('${functionApp.id}/functions/onAlert', '2025-03-01').default}'
        useCommonAlertSchema: true
        useAadAuth: false
      }
    ]
  }
}

// One activity-log alert per fleet subscription (an alert covers one subscription), each deployed at its subscription.
module upgradeFailedAlerts 'alert-subscription.bicep' = [
  for id in alertSubscriptionIds: {
    name: 'ringmaster-alert-${uniqueString(id, alertRuleName)}'
    scope: subscription(id)
    params: {
      resourceGroupName: id == subscription().subscriptionId ? resourceGroup().name : alertResourceGroupName
      createResourceGroup: id != subscription().subscriptionId
      location: location
      tags: tags
      alertRuleName: alertRuleName
      actionGroupId: actionGroup.id
    }
  }
]

output resourceEventsSchema string = resourceEvents.outputs.eventDeliverySchema
output releaseEventsSchema string = releaseEvents.properties.eventDeliverySchema
