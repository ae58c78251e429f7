// Event Grid topics: the deployment subscription's system topic (ARM resource events: gallery version writes, scale set
// writes and actions), created here only when the subscription has none (Event Grid allows one system topic per source;
// main.bicep's existingSystemTopicId names the existing one), and Ringmaster's own custom topic (CloudEvents 1.0 input; the watcher and build pipelines publish
// to it with Entra ID, so local auth is off). The event subscriptions are in wiring.bicep: they point at functions that
// only exist after the code is deployed.
param location string
param tags object
param systemTopicName string

@description('Create the system topic (false: the subscription already has one, named by existingSystemTopicId in main.bicep).')
param createSystemTopic bool
param customTopicName string
param appPrincipalId string
@description('Resource id of the app identity (names the role assignment).')
param appIdentityId string

@description('The host storage account: the topics dead-letter undeliverable events to its container with their own identities.')
param storageAccountName string
param deadLetterContainerName string

@description('Principal id of the existing system topic\'s identity (when Ringmaster does not create it); empty: none.')
param existingSystemTopicPrincipalId string = ''

resource systemTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' = if (createSystemTopic) {
  name: systemTopicName
  location: 'global'
  tags: tags
  identity: { type: 'SystemAssigned' }
  properties: {
    source: subscription().id
    topicType: 'Microsoft.Resources.Subscriptions'
  }
}

resource customTopic 'Microsoft.EventGrid/topics@2025-02-15' = {
  name: customTopicName
  location: location
  tags: tags
  identity: { type: 'SystemAssigned' }
  properties: {
    inputSchema: 'CloudEventSchemaV1_0'
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
  }
}

// The app publishes with Microsoft.EventGrid/events/send/action: the built-in EventGrid Data Sender, whose one data
// action that is, on this topic only (src/azure/arm-actions.ts: the 'topic' scope).
var eventGridDataSender = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'd5a91429-5739-47e2-a06b-3470a27159e7')
resource topicSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(customTopic.id, appIdentityId, eventGridDataSender)
  scope: customTopic
  properties: {
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: eventGridDataSender
    description: 'Ringmaster publishes its own CloudEvents to this topic.'
  }
}

// Dead-lettering writes blobs with the topic's identity (the account allows no shared key): Storage Blob Data
// Contributor on the dead-letter container only, for each topic Ringmaster created and an existing system topic's
// identity when one is named.
resource storage 'Microsoft.Storage/storageAccounts@2026-09-01' existing = {
  name: storageAccountName
  resource blobs 'blobServices' existing = {
    name: 'default'
    resource deadLetters 'containers' existing = {
      name: deadLetterContainerName
    }
  }
}
var blobDataContributor = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', 'ba92f5b4-2d11-453d-a403-e96b0029c9fe')

resource customTopicDeadLetters 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage::blobs::deadLetters.id, customTopic.id, 'dead-letter')
  scope: storage::blobs::deadLetters
  properties: {
    principalId: customTopic.identity.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: blobDataContributor
    description: 'Ringmaster\'s custom topic dead-letters undeliverable events here.'
  }
}

resource systemTopicDeadLetters 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (createSystemTopic || !empty(existingSystemTopicPrincipalId)) {
  name: guid(storage::blobs::deadLetters.id, createSystemTopic ? resourceId('Microsoft.EventGrid/systemTopics', systemTopicName) : existingSystemTopicPrincipalId, 'dead-letter')
  scope: storage::blobs::deadLetters
  properties: {
    principalId: createSystemTopic ? systemTopic!.identity.principalId : existingSystemTopicPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: blobDataContributor
    description: 'The subscription\'s system topic dead-letters undeliverable events here.'
  }
}

output customTopicName string = customTopic.name
output customTopicEndpoint string = customTopic.properties.endpoint
output customTopicId string = customTopic.id
