// A user-started OS rolling upgrade that failed, anywhere in this resource group's subscription. Activity-log alerts
// are stateless: they fire and never resolve.
param tags object
param alertRuleName string
param actionGroupId string

resource upgradeFailedAlert 'Microsoft.Insights/activityLogAlerts@2026-01-01' = {
  name: alertRuleName
  location: 'Global'
  tags: tags
  properties: {
    enabled: true
    description: 'A VM scale set OS rolling upgrade failed. Ringmaster treats it as a gate when a plan lists this rule in health.alerts.'
    scopes: [subscription().id]
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
          actionGroupId: actionGroupId
          webhookProperties: {
            source: 'ringmaster'
          }
        }
      ]
    }
  }
}
