// The Functions host's storage (identity-based: no shared keys) with the Flex Consumption deployment container. The
// release ledger is a table in the same account, reached with the app's identity (Storage Table Data Contributor,
// which Durable Functions needs anyway).
param location string
param tags object
param hostStorageName string
param deploymentContainerName string

@description('Container where Event Grid puts events it could not deliver (dead-lettering, with the topics\' identities).')
param deadLetterContainerName string

resource hostStorage 'Microsoft.Storage/storageAccounts@2026-09-01' = {
  name: hostStorageName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
  }
  resource blobs 'blobServices' = {
    name: 'default'
    resource deployment 'containers' = {
      name: deploymentContainerName
      properties: { publicAccess: 'None' }
    }
    resource deadLetters 'containers' = {
      name: deadLetterContainerName
      properties: { publicAccess: 'None' }
    }
  }
}

output hostStorageName string = hostStorage.name
output hostStorageId string = hostStorage.id
output deadLetterContainerName string = deadLetterContainerName
output hostBlobEndpoint string = hostStorage.properties.primaryEndpoints.blob
output hostTableEndpoint string = hostStorage.properties.primaryEndpoints.table
