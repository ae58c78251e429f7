// Key Vault (RBAC mode) for the chat webhook URLs. The app reads them as Key Vault
// references through its user-assigned identity ("Key Vault Secrets User" on this vault only).
param location string
param tags object
param keyVaultName string
param appPrincipalId string
@description('Resource id of the app identity (names the role assignment).')
param appIdentityId string

@description('Notification secret names, as plans name them in notify[].teams / notify[].slack.')
param notificationSecretNames array

@secure()
@description('Optional webhook URLs by secret name. Names without a value here must be set in the vault by hand.')
param notificationWebhookUrls object

var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'

resource vault 'Microsoft.KeyVault/vaults@2026-05-15' = {
  name: keyVaultName
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 7
    publicNetworkAccess: 'Enabled'
  }
}

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, appIdentityId, keyVaultSecretsUser)
  scope: vault
  properties: {
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
  }
}

resource webhookSecrets 'Microsoft.KeyVault/vaults/secrets@2026-05-15' = [
  for name in notificationSecretNames: if (contains(notificationWebhookUrls, name)) {
    parent: vault
    name: name
    properties: {
      value: notificationWebhookUrls[name]
      contentType: 'webhook-url'
    }
  }
]

output keyVaultName string = vault.name
output keyVaultUri string = vault.properties.vaultUri
