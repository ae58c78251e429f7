// The custom roles: Ringmaster's two, one per scope it works on (the gallery resource groups, the fleet), together
// exactly the actions the adapters call (src/azure/arm-actions.ts, compared with the compiled roles by
// test/infra/role.test.ts), and the Image Builder identity's (publish versions, nothing more).
targetScope = 'subscription'

@description('Scopes the gallery role may be assigned at: the gallery resource groups.')
param galleryAssignableScopes array

@description('Scopes the fleet role may be assigned at: the fleet subscriptions, or its resource groups.')
param fleetAssignableScopes array

@description('Scopes the Image Builder role may be assigned at: the gallery and staging resource groups.')
param imageBuilderAssignableScopes array

@description('Distinguishes the roles of two environments in one tenant.')
param environmentName string

@description('Names (GUIDs) of Ringmaster\'s role definitions; main.bicep derives them and assigns the roles by them.')
param galleryRoleGuid string
param fleetRoleGuid string

@description('Name (a GUID) of the Image Builder role definition.')
param imageBuilderRoleGuid string

// Role definition names are GUIDs; roleName must be unique in the tenant, so it carries a hash of the subscription as
// well as the environment (two subscriptions of one tenant may both use the environment name prod).
var subscriptionTag = uniqueString(subscription().id)

// test/infra/role.test.ts compares each list, as compiled, with requiredRoleActions('gallery' | 'fleet') of
// src/azure/arm-actions.ts. Publishing to Ringmaster's own topic is the built-in EventGrid Data Sender (eventing.bicep).
resource galleryRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: galleryRoleGuid
  properties: {
    roleName: 'Ringmaster gallery operator (${environmentName}, ${subscriptionTag})'
    description: 'Reads, opens and demotes gallery image versions; runs and reads Image Builder templates. Assigned on the gallery resource groups only. Generated from src/azure/arm-actions.ts. Environment ${environmentName} of subscription ${subscription().subscriptionId}.'
    type: 'CustomRole'
    permissions: [
      {
        actions: [
          'Microsoft.Compute/galleries/images/versions/read'
          'Microsoft.Compute/galleries/images/versions/write'
          'Microsoft.VirtualMachineImages/imageTemplates/read'
          'Microsoft.VirtualMachineImages/imageTemplates/run/action'
        ]
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
    assignableScopes: galleryAssignableScopes
  }
}

resource fleetRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: fleetRoleGuid
  properties: {
    roleName: 'Ringmaster fleet operator (${environmentName}, ${subscriptionTag})'
    description: 'Finds scale sets (Resource Graph), reads them, their VMs, rolling upgrades, OS upgrade history and metrics; starts or cancels OS upgrades. Assigned on the fleet subscriptions or resource groups only. Generated from src/azure/arm-actions.ts. Environment ${environmentName} of subscription ${subscription().subscriptionId}.'
    type: 'CustomRole'
    permissions: [
      {
        actions: [
          'Microsoft.Compute/virtualMachineScaleSets/osRollingUpgrade/action'
          'Microsoft.Compute/virtualMachineScaleSets/osUpgradeHistory/read'
          'Microsoft.Compute/virtualMachineScaleSets/read'
          'Microsoft.Compute/virtualMachineScaleSets/rollingUpgrades/cancel/action'
          'Microsoft.Compute/virtualMachineScaleSets/rollingUpgrades/read'
          'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/read'
          'Microsoft.Compute/virtualMachines/read'
          'Microsoft.Insights/metrics/read'
          'Microsoft.ResourceGraph/resources/read'
        ]
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
    assignableScopes: fleetAssignableScopes
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

output galleryRoleId string = galleryRole.id
output fleetRoleId string = fleetRole.id
output imageBuilderRoleId string = imageBuilderRole.id
