// The event subscriptions and the alert path, deployed once the functions exist (infra/hooks/postdeploy.sh, or
// `azd provision` with RINGMASTER_WIRE_EVENTS=true): Event Grid validates an AzureFunction destination against the
// deployed function, and the action group's webhook needs the app's function key.
//
// Delivery schemas match EVENT_SCHEMAS in src/functions/events.ts (test/infra/events.test.ts checks them):
//   onResourceEvent ← system topic, EventGridSchema;  onReleaseEvent ← custom topic, CloudEventSchemaV1_0.
param functionAppName string
param systemTopicName string
param customTopicName string
param tags object

@description('Subscriptions whose activity log the alert watches (the fleet subscriptions).')
param alertSubscriptionIds array

@description('Name of the activity-log alert rule; list it in a plan\'s health.alerts to make it a gate.')
param alertRuleName string

resource functionApp 'Microsoft.Web/sites@2025-03-01' existing = {
  name: functionAppName
}

resource systemTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' existing = {
  name: systemTopicName
}

resource customTopic 'Microsoft.EventGrid/topics@2025-02-15' existing = {
  name: customTopicName
}

resource resourceEvents 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = {
  parent: systemTopic
  name: 'ringmaster-resource-events'
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
    filter: {
      includedEventTypes: [
        'ringmaster.image.version.published'
        'ringmaster.image.replication.completed'
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
        serviceUri: 'https://${functionApp.properties.defaultHostName}/api/alerts?code=${listKeys('${functionApp.id}/host/default', '2025-03-01').functionKeys.default}'
        useCommonAlertSchema: true
        useAadAuth: false
      }
    ]
  }
}

// A user-started OS rolling upgrade that failed, anywhere in the fleet subscriptions. Activity-log alerts are
// stateless: they fire and never resolve.
resource upgradeFailedAlert 'Microsoft.Insights/activityLogAlerts@2026-01-01' = {
  name: alertRuleName
  location: 'Global'
  tags: tags
  properties: {
    enabled: true
    description: 'A VM scale set OS rolling upgrade failed. Ringmaster treats it as a gate when a plan lists this rule in health.alerts.'
    scopes: [for id in alertSubscriptionIds: '/subscriptions/${id}']
    condition: {
      allOf: [
        { field: 'category', equals: 'Administrative' }
        { field: 'operationName', equals: 'Microsoft.Compute/virtualMachineScaleSets/osRollingUpgrade/action' }
        { field: 'status', equals: 'Failed' }
      ]
    }
    actions: {
      actionGroups: [
        {
          actionGroupId: actionGroup.id
          webhookProperties: {
            source: 'ringmaster'
          }
        }
      ]
    }
  }
}

output resourceEventsSchema string = resourceEvents.properties.eventDeliverySchema
output releaseEventsSchema string = releaseEvents.properties.eventDeliverySchema
