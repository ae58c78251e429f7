// The Functions host's storage (identity-based: no shared keys) with the Flex Consumption deployment container, and
// a separate small account for the release ledger. The ledger (src/ledger/table-ledger.ts) connects with a
// connection string today, so its account allows shared keys and its connection string lives in Key Vault.
param location string
param tags object
param hostStorageName string
param ledgerStorageName string
param deploymentContainerName string

resource hostStorage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
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
  }
}

resource ledgerStorage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: ledgerStorageName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    allowSharedKeyAccess: true
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
  }
}

output hostStorageName string = hostStorage.name
output hostStorageId string = hostStorage.id
output hostBlobEndpoint string = hostStorage.properties.primaryEndpoints.blob
output ledgerStorageName string = ledgerStorage.name
