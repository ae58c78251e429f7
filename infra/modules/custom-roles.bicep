// The two custom roles: Ringmaster's own (exactly the actions the adapters call, kept in src/azure/arm-actions.ts and
// compared with the compiled role by test/infra/role.test.ts) and the Image Builder identity's (publish versions, nothing more).
targetScope = 'subscription'

@description('Scopes the Ringmaster role may be assigned at: gallery resource groups, fleet subscriptions or resource groups, the app resource group (custom topic).')
param ringmasterAssignableScopes array

@description('Scopes the Image Builder role may be assigned at: the gallery and staging resource groups.')
param imageBuilderAssignableScopes array

@description('Distinguishes the roles of two environments in one tenant.')
param environmentName string

@description('Name (a GUID) of Ringmaster\'s role definition; main.bicep derives it and assigns the role by it.')
param ringmasterRoleGuid string

@description('Name (a GUID) of the Image Builder role definition.')
param imageBuilderRoleGuid string

// Role definition names are GUIDs; roleName must be unique in the tenant, so it carries a hash of the subscription as
// well as the environment (two subscriptions of one tenant may both use the environment name prod).
var subscriptionTag = uniqueString(subscription().id)
resource ringmasterRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: ringmasterRoleGuid
  properties: {
    roleName: 'Ringmaster release operator (${environmentName}, ${subscriptionTag})'
    description: 'Reads and demotes gallery image versions, reads scale sets and their rolling upgrades, cancels or starts OS upgrades, runs Image Builder templates, reads metrics and publishes to the Ringmaster topic. Generated from src/azure/arm-actions.ts. Environment ${environmentName} of subscription ${subscription().subscriptionId}.'
    type: 'CustomRole'
    permissions: [
      {
        // test/infra/role.test.ts compares this list, as compiled, with requiredRoleActions() of src/azure/arm-actions.ts.
        actions: [
          'Microsoft.Compute/galleries/images/versions/read'
          'Microsoft.Compute/galleries/images/versions/write'
          'Microsoft.Compute/virtualMachineScaleSets/osRollingUpgrade/action'
          'Microsoft.Compute/virtualMachineScaleSets/osUpgradeHistory/read'
          'Microsoft.Compute/virtualMachineScaleSets/read'
          'Microsoft.Compute/virtualMachineScaleSets/rollingUpgrades/cancel/action'
          'Microsoft.Compute/virtualMachineScaleSets/rollingUpgrades/read'
          'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/read'
          'Microsoft.Compute/virtualMachines/read'
          'Microsoft.Insights/metrics/read'
          'Microsoft.ResourceGraph/resources/read'
          'Microsoft.VirtualMachineImages/imageTemplates/read'
          'Microsoft.VirtualMachineImages/imageTemplates/run/action'
        ]
        notActions: []
        dataActions: [
          'Microsoft.EventGrid/events/send/action'
        ]
        notDataActions: []
      }
    ]
    assignableScopes: ringmasterAssignableScopes
  }
}

// Azure Image Builder's build identity: write image versions into the gallery, build disks and the intermediate
// managed image in the staging resource group. Never subscription Contributor.
resource imageBuilderRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: imageBuilderRoleGuid
  properties: {
    roleName: 'Ringmaster image builder (${environmentName}, ${subscriptionTag})'
    description: 'Least privilege for the Azure Image Builder identity: publish gallery image versions, manage the intermediate image and the build disk. Assigned on the gallery and staging resource groups only. Environment ${environmentName} of subscription ${subscription().subscriptionId}.'
    type: 'CustomRole'
    permissions: [
      {
        actions: [
          'Microsoft.Compute/galleries/read'
          'Microsoft.Compute/galleries/images/read'
          'Microsoft.Compute/galleries/images/versions/read'
          'Microsoft.Compute/galleries/images/versions/write'
          'Microsoft.Compute/images/read'
          'Microsoft.Compute/images/write'
          'Microsoft.Compute/images/delete'
          'Microsoft.Compute/disks/read'
          'Microsoft.Compute/disks/write'
        ]
        notActions: []
      }
    ]
    assignableScopes: imageBuilderAssignableScopes
  }
}

output ringmasterRoleId string = ringmasterRole.id
output imageBuilderRoleId string = imageBuilderRole.id
