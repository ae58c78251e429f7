// One role assignment on the subscription this module is deployed to.
targetScope = 'subscription'

@sys.description('Object id of the identity (a runtime value: used in the properties only).')
param principalId string

@sys.description('Resource id of the identity, known before the deployment: names the assignment, so what-if can predict it.')
param principalKey string

param roleDefinitionId string
param description string

resource assignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, principalKey, roleDefinitionId)
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: roleDefinitionId
    description: description
  }
}
