// The event subscription on the subscription's Event Grid system topic, deployed to the topic's own resource group
// (Ringmaster's, when it created the topic; wherever the existing one lives otherwise: one system topic per source).
// Delivery schema: EVENT_SCHEMAS in src/functions/events.ts (test/infra/events.test.ts checks it).
param systemTopicName string

@description('The Function App whose onResourceEvent function receives the events, and its resource group.')
param functionAppName string
param functionAppSubscriptionId string
param functionAppResourceGroup string

@description('Dead-letter undeliverable events with the topic\'s identity (one Ringmaster created has one; an existing topic only when its principal was named).')
param deadLetter bool
param deadLetterStorageId string
param deadLetterContainerName string

resource functionApp 'Microsoft.Web/sites@2025-03-01' existing = {
  name: functionAppName
  scope: resourceGroup(functionAppSubscriptionId, functionAppResourceGroup)
}

resource systemTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' existing = {
  name: systemTopicName
}

resource resourceEvents 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = {
  parent: systemTopic
  // Named after the app: two environments may share the subscription's one system topic.
  name: '${functionAppName}-resource-events'
  properties: {
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: '${functionApp.id}/functions/onResourceEvent'
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: [
        'Microsoft.Resources.ResourceWriteSuccess'
        'Microsoft.Resources.ResourceActionSuccess'
        'Microsoft.Resources.ResourceActionFailure'
      ]
      advancedFilters: [
        {
          operatorType: 'StringIn'
          key: 'data.operationName'
          values: [
            'Microsoft.Compute/galleries/images/versions/write'
            'Microsoft.Compute/virtualMachineScaleSets/write'
            'Microsoft.Compute/virtualMachineScaleSets/osRollingUpgrade/action'
            'Microsoft.Compute/virtualMachineScaleSets/rollingUpgrades/cancel/action'
          ]
        }
      ]
    }
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
    deadLetterWithResourceIdentity: deadLetter
      ? {
          identity: { type: 'SystemAssigned' }
          deadLetterDestination: {
            endpointType: 'StorageBlob'
            properties: { resourceId: deadLetterStorageId, blobContainerName: deadLetterContainerName }
          }
        }
      : null
  }
}

output eventDeliverySchema string = resourceEvents.properties.eventDeliverySchema
