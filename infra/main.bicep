// Ringmaster in one subscription: `azd up` deploys this (subscription scope) and then the app.
// What it creates, and why each right is the least the code needs: docs/operator-guide.md.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; names and tags every resource.')
param environmentName string

@description('Region of the app. Flex Consumption is offered in a subset of regions (az functionapp list-flexconsumption-locations).')
param location string

@description('Resource group for the app, its storage, Key Vault, monitoring and topics.')
param resourceGroupName string = 'rg-ringmaster-${environmentName}'

@description('Comma-separated resource group ids of the Compute Gallery (or galleries) whose versions Ringmaster releases, e.g. /subscriptions/<id>/resourceGroups/rg-images. Ringmaster\'s role is assigned here; the Image Builder templates are expected here too.')
param galleryResourceGroupIds string

@description('Comma-separated subscriptions of the scale set fleet (empty: the deployment subscription). Ringmaster\'s role is assigned on each (unless fleetResourceGroupIds narrows it), RINGMASTER_SUBSCRIPTION_IDS lists them, and the activity-log alert watches them. The system topic covers the deployment subscription only.')
param fleetSubscriptionIds string = ''

@description('Optional, comma separated: resource group ids of the fleet. When set, Ringmaster\'s role is assigned on these resource groups instead of the fleet subscriptions.')
param fleetResourceGroupIds string = ''

@description('Resource id of the deployment subscription\'s existing Event Grid system topic (topic type Microsoft.Resources.Subscriptions), if it has one: Event Grid allows one system topic per source, so Ringmaster subscribes to that one. Empty: Ringmaster creates the topic in its resource group. Find it with: az eventgrid system-topic list --query "[?topicType==\'Microsoft.Resources.Subscriptions\'].id" -o tsv')
param existingSystemTopicId string = ''

@description('Principal id of that existing system topic\'s system-assigned identity, if it has one (az eventgrid system-topic show --ids <id> --query identity.principalId -o tsv; infra/hooks/preprovision.sh looks it up): it gets write access to the dead-letter container, and undeliverable resource events are dead-lettered there. Empty with an existing topic: they are not dead-lettered (give the topic an identity: az eventgrid system-topic update --identity systemassigned).')
param existingSystemTopicPrincipalId string = ''

@description('Optional: application (client) id of an Entra ID app registration (redirect URI https://<app>/.auth/login/aad/callback, ID tokens on). When set, App Service authentication fronts the app: a notice\'s dashboard link opens after sign-in, and operator actions are recorded under the signed-in principal. Empty: the function key only.')
param signInClientId string = ''

@description('Create the Azure Image Builder identity and assign its least-privilege role on the gallery and staging resource groups.')
param createImageBuilderIdentity bool = true

@description('Resource group id Image Builder builds in (the template\'s stagingResourceGroup). Empty: the gallery resource groups only.')
param imageBuilderStagingResourceGroupId string = ''

@description('Plan files inside the deployed package, comma separated, relative to the app root (RINGMASTER_PLANS).')
param planPaths string = 'examples/payments.yaml'

@description('Comma-separated notification secret names the plans use (notify[].teams / notify[].slack); each becomes RINGMASTER_SECRET_<NAME> = a Key Vault reference.')
param notificationSecretNames string = ''

@secure()
@description('Optional webhook URLs by secret name, written to Key Vault. Leave empty to set the secrets in the vault yourself.')
param notificationWebhookUrls object = {}

@description('NCRONTAB (six fields) of the fleet watcher (RINGMASTER_WATCH_SCHEDULE).')
param watchSchedule string = '0 */1 * * * *'

@description('NCRONTAB (six fields) of the monthly rebake (RINGMASTER_REBAKE_SCHEDULE).')
param rebakeSchedule string = '0 0 3 1 * *'

@description('Durable Functions task hub (RINGMASTER_TASK_HUB, host.json hubName). Letters and digits only.')
param taskHubName string = 'ringmaster'

@description('Hosts notifications may be posted to (RINGMASTER_NOTIFY_ALLOWED_HOSTS).')
param notifyAllowedHosts string = '*.webhook.office.com,*.logic.azure.com,*.environment.api.powerplatform.com,hooks.slack.com'

@description('Create the Event Grid subscriptions, action group and activity-log alert. They need the deployed functions: the postdeploy hook turns this on.')
param wireEvents bool = false

@description('Name of the activity-log alert rule (a plan lists it in health.alerts to make it a gate).')
param alertRuleName string = 'ringmaster-os-upgrade-failed'

@description('Flex Consumption scale-out limit.')
param maximumInstanceCount int = 40

@allowed([512, 2048, 4096])
param instanceMemoryMB int = 2048

var token = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName, app: 'ringmaster' }
var deploymentContainerName = 'app-package-${take(token, 7)}'
var deadLetterContainerName = 'eventgrid-deadletter'
// Lists come in as comma-separated strings (azd environment values); empty entries are dropped.
var galleryRgs = filter(map(split(galleryResourceGroupIds, ','), s => trim(s)), s => !empty(s))
var fleetSubsGiven = filter(map(split(fleetSubscriptionIds, ','), s => trim(s)), s => !empty(s))
var fleetSubs = empty(fleetSubsGiven) ? [subscription().subscriptionId] : fleetSubsGiven
var fleetRgs = filter(map(split(fleetResourceGroupIds, ','), s => trim(s)), s => !empty(s))
var secretNames = filter(map(split(notificationSecretNames, ','), s => trim(s)), s => !empty(s))
var fleetScopes = empty(fleetRgs) ? map(fleetSubs, id => '/subscriptions/${id}') : fleetRgs
var stagingScopes = empty(imageBuilderStagingResourceGroupId) ? [] : [imageBuilderStagingResourceGroupId]
// Names and ids known before the deployment runs (not module outputs), so that role assignment names, existing-resource
// references and conditions do not depend on runtime values and what-if (azd provision --preview) predicts them.
var appIdentityName = 'id-ringmaster-${token}'
var appIdentityId = resourceId(subscription().subscriptionId, resourceGroupName, 'Microsoft.ManagedIdentity/userAssignedIdentities', appIdentityName)
var imageBuilderIdentityName = 'id-aib-ringmaster-${token}'
var imageBuilderIdentityId = resourceId(split(galleryRgs[0], '/')[2], split(galleryRgs[0], '/')[4], 'Microsoft.ManagedIdentity/userAssignedIdentities', imageBuilderIdentityName)
var hostStorageName = 'st${token}'
var functionAppName = 'func-ringmaster-${token}'
var createSystemTopic = empty(existingSystemTopicId)
// Dead-lettering writes with the topic's own identity: one Ringmaster created has one; an existing one only if named.
var systemTopicDeadLetter = createSystemTopic || !empty(existingSystemTopicPrincipalId)
var systemTopicName = createSystemTopic ? 'evgt-ringmaster-fleet-${token}' : last(split(existingSystemTopicId, '/'))
var systemTopicSubscriptionId = createSystemTopic ? subscription().subscriptionId : split(existingSystemTopicId, '/')[2]
var systemTopicResourceGroup = createSystemTopic ? resourceGroupName : split(existingSystemTopicId, '/')[4]
// Each fleet subscription other than this one gets its alert in a resource group of this name.
var alertResourceGroupName = 'rg-ringmaster-alerts-${environmentName}'
var customTopicName = 'evgt-ringmaster-${token}'
// Role definition names (GUIDs) and ids: custom-roles.bicep creates them under these names.
var galleryRoleGuid = guid(subscription().id, 'ringmaster-gallery-operator', environmentName)
var fleetRoleGuid = guid(subscription().id, 'ringmaster-fleet-operator', environmentName)
var imageBuilderRoleGuid = guid(subscription().id, 'ringmaster-image-builder', environmentName)
var galleryRoleId = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', galleryRoleGuid)
var fleetRoleId = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', fleetRoleGuid)
var imageBuilderRoleId = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', imageBuilderRoleGuid)

resource rg 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: resourceGroupName
  location: location
  tags: tags
}

module appIdentity 'modules/app-identity.bicep' = {
  name: 'app-identity'
  scope: rg
  params: {
    location: location
    tags: tags
    identityName: appIdentityName
  }
}

module roles 'modules/custom-roles.bicep' = {
  name: 'custom-roles'
  params: {
    environmentName: environmentName
    galleryRoleGuid: galleryRoleGuid
    fleetRoleGuid: fleetRoleGuid
    imageBuilderRoleGuid: imageBuilderRoleGuid
    galleryAssignableScopes: galleryRgs
    fleetAssignableScopes: fleetScopes
    imageBuilderAssignableScopes: union(galleryRgs, stagingScopes)
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    location: location
    tags: tags
    logAnalyticsName: 'log-ringmaster-${token}'
    applicationInsightsName: 'appi-ringmaster-${token}'
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    location: location
    tags: tags
    hostStorageName: hostStorageName
    deploymentContainerName: deploymentContainerName
    deadLetterContainerName: deadLetterContainerName
  }
}

module vault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    location: location
    tags: tags
    keyVaultName: 'kv-rm-${take(token, 13)}'
    appPrincipalId: appIdentity.outputs.principalId
    appIdentityId: appIdentityId
    notificationSecretNames: secretNames
    notificationWebhookUrls: notificationWebhookUrls
  }
}

module eventing 'modules/eventing.bicep' = {
  name: 'eventing'
  scope: rg
  params: {
    location: location
    tags: tags
    systemTopicName: systemTopicName
    createSystemTopic: createSystemTopic
    customTopicName: customTopicName
    appPrincipalId: appIdentity.outputs.principalId
    appIdentityId: appIdentityId
    storageAccountName: hostStorageName
    deadLetterContainerName: deadLetterContainerName
    existingSystemTopicPrincipalId: existingSystemTopicPrincipalId
  }
  dependsOn: [roles, storage]
}

module app 'modules/function-app.bicep' = {
  name: 'function-app'
  scope: rg
  params: {
    location: location
    tags: tags
    planName: 'plan-ringmaster-${token}'
    functionAppName: functionAppName
    identityId: appIdentityId
    identityClientId: appIdentity.outputs.clientId
    identityPrincipalId: appIdentity.outputs.principalId
    hostStorageName: hostStorageName
    hostBlobEndpoint: storage.outputs.hostBlobEndpoint
    deploymentContainerName: deploymentContainerName
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    keyVaultName: vault.outputs.keyVaultName
    ledgerAccountUrl: storage.outputs.hostTableEndpoint
    eventGridTopicEndpoint: eventing.outputs.customTopicEndpoint
    subscriptionIds: fleetSubs
    planPaths: planPaths
    watchSchedule: watchSchedule
    rebakeSchedule: rebakeSchedule
    taskHubName: taskHubName
    notifyAllowedHosts: notifyAllowedHosts
    signInClientId: signInClientId
    notificationSecretNames: secretNames
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
  }
}

// Ringmaster's gallery role on each gallery resource group …
module galleryAssignments 'modules/role-assignment-rg.bicep' = [
  for id in galleryRgs: {
    name: 'rm-gallery-${uniqueString(id)}'
    scope: resourceGroup(split(id, '/')[2], split(id, '/')[4])
    params: {
      principalId: appIdentity.outputs.principalId
      principalKey: appIdentityId
      roleDefinitionId: galleryRoleId
      description: 'Ringmaster reads, opens and demotes gallery image versions and runs Image Builder templates here.'
    }
    dependsOn: [roles]
  }
]

// … and its fleet role on the fleet: each subscription, or only the named resource groups.
module fleetSubscriptionAssignments 'modules/role-assignment-sub.bicep' = [
  for id in (empty(fleetRgs) ? fleetSubs : []): {
    name: 'rm-fleet-${uniqueString(id)}'
    scope: subscription(id)
    params: {
      principalId: appIdentity.outputs.principalId
      principalKey: appIdentityId
      roleDefinitionId: fleetRoleId
      description: 'Ringmaster reads scale sets and rolling upgrades, cancels or starts OS upgrades, reads metrics.'
    }
    dependsOn: [roles]
  }
]

module fleetGroupAssignments 'modules/role-assignment-rg.bicep' = [
  for id in fleetRgs: {
    name: 'rm-fleetrg-${uniqueString(id)}'
    scope: resourceGroup(split(id, '/')[2], split(id, '/')[4])
    params: {
      principalId: appIdentity.outputs.principalId
      principalKey: appIdentityId
      roleDefinitionId: fleetRoleId
      description: 'Ringmaster reads scale sets and rolling upgrades, cancels or starts OS upgrades, reads metrics.'
    }
    dependsOn: [roles]
  }
]

// Image Builder's identity: created in the first gallery resource group; its role on the gallery and staging groups only.
module imageBuilder 'modules/image-builder-identity.bicep' = if (createImageBuilderIdentity) {
  name: 'image-builder-identity'
  scope: resourceGroup(split(galleryRgs[0], '/')[2], split(galleryRgs[0], '/')[4])
  params: {
    location: location
    tags: tags
    identityName: imageBuilderIdentityName
  }
}

module imageBuilderAssignments 'modules/role-assignment-rg.bicep' = [
  for id in (createImageBuilderIdentity ? union(galleryRgs, stagingScopes) : []): {
    name: 'aib-${uniqueString(id)}'
    scope: resourceGroup(split(id, '/')[2], split(id, '/')[4])
    params: {
      principalId: imageBuilder!.outputs.principalId
      principalKey: imageBuilderIdentityId
      roleDefinitionId: imageBuilderRoleId
      description: 'Azure Image Builder publishes image versions (gallery) and builds disks and images (staging). Never subscription Contributor.'
    }
    dependsOn: [roles]
  }
]

module wiring 'modules/wiring.bicep' = if (wireEvents) {
  name: 'wiring'
  scope: rg
  params: {
    functionAppName: functionAppName
    systemTopicName: systemTopicName
    systemTopicSubscriptionId: systemTopicSubscriptionId
    systemTopicResourceGroup: systemTopicResourceGroup
    customTopicName: customTopicName
    tags: tags
    location: location
    alertSubscriptionIds: fleetSubs
    alertResourceGroupName: alertResourceGroupName
    alertRuleName: alertRuleName
    deadLetterStorageId: storage.outputs.hostStorageId
    deadLetterContainerName: storage.outputs.deadLetterContainerName
    systemTopicDeadLetter: systemTopicDeadLetter
  }
  dependsOn: [app, eventing]
}

// azd writes these to .azure/<env>/.env; the postdeploy hook and the operator guide use them.
output AZURE_LOCATION string = location
output AZURE_RESOURCE_GROUP string = rg.name
output RINGMASTER_FUNCTION_APP string = app.outputs.functionAppName
output RINGMASTER_URL string = 'https://${app.outputs.defaultHostName}'
output RINGMASTER_SYSTEM_TOPIC string = systemTopicName
output RINGMASTER_SYSTEM_TOPIC_SUBSCRIPTION_ID string = systemTopicSubscriptionId
output RINGMASTER_SYSTEM_TOPIC_RESOURCE_GROUP string = systemTopicResourceGroup
output RINGMASTER_CUSTOM_TOPIC string = eventing.outputs.customTopicName
output RINGMASTER_DEAD_LETTER_STORAGE_ID string = storage.outputs.hostStorageId
output RINGMASTER_DEAD_LETTER_CONTAINER string = storage.outputs.deadLetterContainerName
output RINGMASTER_SYSTEM_TOPIC_DEAD_LETTER string = systemTopicDeadLetter ? 'true' : 'false'
output RINGMASTER_CUSTOM_TOPIC_ENDPOINT string = eventing.outputs.customTopicEndpoint
output RINGMASTER_KEY_VAULT string = vault.outputs.keyVaultName
output RINGMASTER_APP_IDENTITY_CLIENT_ID string = appIdentity.outputs.clientId
output RINGMASTER_GALLERY_ROLE_ID string = roles.outputs.galleryRoleId
output RINGMASTER_FLEET_ROLE_ID string = roles.outputs.fleetRoleId
output RINGMASTER_IMAGE_BUILDER_IDENTITY_ID string = imageBuilder.?outputs.id ?? ''
output RINGMASTER_ALERT_SUBSCRIPTION_IDS string = join(fleetSubs, ',')
output RINGMASTER_ALERT_RULE string = alertRuleName
output RINGMASTER_ALERT_RESOURCE_GROUP string = alertResourceGroupName
