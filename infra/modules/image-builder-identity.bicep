// The Azure Image Builder identity, created in the gallery resource group. Its role (custom-roles.bicep) is assigned
// on the gallery and staging resource groups by main.bicep, never on the subscription.
param location string
param tags object
param identityName string

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: identityName
  location: location
  tags: tags
}

output id string = identity.id
output principalId string = identity.properties.principalId
output clientId string = identity.properties.clientId
