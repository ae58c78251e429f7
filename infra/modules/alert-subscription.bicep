// One fleet subscription's activity-log alert, deployed at that subscription: an activity-log alert covers one
// subscription, so wiring.bicep deploys this once per fleet subscription. The alert lives in Ringmaster's resource group
// when the subscription is the deployment's, else in a resource group of its own in that subscription.
targetScope = 'subscription'

@description('Resource group of the alert in this subscription.')
param resourceGroupName string

@description('Create that resource group (false: it exists, e.g. Ringmaster\'s own).')
param createResourceGroup bool

@description('Region of a resource group created here.')
param location string

param tags object
param alertRuleName string

@description('Resource id of the action group that calls the app\'s onAlert route.')
param actionGroupId string

resource alertGroup 'Microsoft.Resources/resourceGroups@2025-04-01' = if (createResourceGroup) {
  name: resourceGroupName
  location: location
  tags: tags
}

module alert 'activity-log-alert.bicep' = {
  name: 'ringmaster-upgrade-failed-alert'
  scope: resourceGroup(resourceGroupName)
  params: {
    tags: tags
    alertRuleName: alertRuleName
    actionGroupId: actionGroupId
  }
  dependsOn: [alertGroup]
}
