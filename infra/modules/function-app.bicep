// The Functions app on Flex Consumption (Linux, Node.js 22), running as the user-assigned identity: identity-based
// host storage, Entra-authenticated Application Insights, Key Vault references for secrets. Every app setting the code
// reads is here or listed as optional in docs/operator-guide.md (test/infra/settings.test.ts checks both).
param location string
param tags object
param planName string
param functionAppName string
param identityId string
param identityClientId string
param identityPrincipalId string
param hostStorageName string
param hostBlobEndpoint string
param deploymentContainerName string
param applicationInsightsConnectionString string
param keyVaultName string
@description('Table endpoint of the release ledger (the host storage account), reached with the app identity.')
param ledgerAccountUrl string
param eventGridTopicEndpoint string
param subscriptionIds array
param planPaths string
param watchSchedule string
param rebakeSchedule string
param taskHubName string
param notifyAllowedHosts string
param notificationSecretNames array
param maximumInstanceCount int
param instanceMemoryMB int

@description('Application (client) id of the Entra ID app registration for App Service authentication; empty: none (the API and the dashboard take the function key).')
param signInClientId string = ''

var storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
var storageQueueDataContributor = '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
var storageTableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'

resource hostStorage 'Microsoft.Storage/storageAccounts@2026-09-01' existing = {
  name: hostStorageName
}

// Blob (deployment package, leases), Queue and Table (Durable Functions task hub) through the identity.
resource storageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in [storageBlobDataOwner, storageQueueDataContributor, storageTableDataContributor]: {
    name: guid(hostStorage.id, identityId, role)
    scope: hostStorage
    properties: {
      principalId: identityPrincipalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
    }
  }
]

// Application Insights with local auth disabled accepts telemetry from identities holding this role.
resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(resourceGroup().id, identityId, monitoringMetricsPublisher)
  properties: {
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
  }
}

resource plan 'Microsoft.Web/serverfarms@2025-03-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

var kvRef = '@Microsoft.KeyVault(VaultName=${keyVaultName};SecretName='

// RINGMASTER_SECRET_<NAME> for each notification secret name (src/azure/settings.ts secretSettingName()).
var notificationSettings = toObject(
  notificationSecretNames,
  secret => 'RINGMASTER_SECRET_${toUpper(replace(replace(secret, '-', '_'), '.', '_'))}',
  secret => '${kvRef}${secret})'
)

var baseSettings = {
  // Host storage, identity-based (no connection string, no keys). On Flex Consumption FUNCTIONS_WORKER_RUNTIME and
  // the Node version are not app settings: functionAppConfig.runtime sets them.
  AzureWebJobsStorage__accountName: hostStorageName
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: applicationInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  // DefaultAzureCredential picks the user-assigned identity by this client id.
  AZURE_CLIENT_ID: identityClientId
  // host.json: extensions.durableTask.hubName = %RINGMASTER_TASK_HUB%
  RINGMASTER_TASK_HUB: taskHubName
  RINGMASTER_WATCH_SCHEDULE: watchSchedule
  RINGMASTER_REBAKE_SCHEDULE: rebakeSchedule
  RINGMASTER_SUBSCRIPTION_IDS: join(subscriptionIds, ',')
  RINGMASTER_PLANS: planPaths
  // With App Service authentication in front, operators are who it vouches for and the dashboard opens after sign-in.
  RINGMASTER_OPERATOR_IDENTITY: empty(signInClientId) ? 'key' : 'entra'
  // No key: the app publishes to the custom topic with Entra ID (its role grants events/send/action).
  RINGMASTER_EVENTGRID_TOPIC_ENDPOINT: eventGridTopicEndpoint
  RINGMASTER_NOTIFY_ALLOWED_HOSTS: notifyAllowedHosts
  RINGMASTER_LEDGER_ACCOUNT_URL: ledgerAccountUrl
  RINGMASTER_DASHBOARD_URL: 'https://${functionApp.properties.defaultHostName}/api/dashboard'
}

resource functionApp 'Microsoft.Web/sites@2025-03-01' = {
  name: functionAppName
  location: location
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${hostBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
  }
  dependsOn: [storageRoles]

  resource appSettings 'config' = {
    name: 'appsettings'
    properties: union(baseSettings, notificationSettings)
  }

  // App Service authentication (Entra ID), anonymous requests allowed through: the function key still guards the API
  // and the webhooks (Event Grid, the action group), and the dashboard asks for sign-in itself (dashboard-access.ts).
  // App Service sets x-ms-client-principal-* and drops any copy a client sends only while this is enabled.
  resource signIn 'config' = if (!empty(signInClientId)) {
    name: 'authsettingsV2'
    properties: {
      platform: { enabled: true }
      globalValidation: { requireAuthentication: false, unauthenticatedClientAction: 'AllowAnonymous' }
      identityProviders: {
        azureActiveDirectory: {
          enabled: true
          registration: {
            clientId: signInClientId
            openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
          }
          validation: { allowedAudiences: ['api://${signInClientId}', signInClientId] }
        }
      }
      login: { tokenStore: { enabled: true } }
    }
  }
}

output functionAppName string = functionApp.name
output functionAppId string = functionApp.id
output defaultHostName string = functionApp.properties.defaultHostName
