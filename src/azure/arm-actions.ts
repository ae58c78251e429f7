/**
 * The Azure RBAC actions each port method needs, as data. The deployment's custom role is generated from, or tested
 * against, `requiredRoleActions()`; a `Forbidden` error names `primaryAction(operation)`.
 * See https://learn.microsoft.com/azure/role-based-access-control/permissions/compute
 */

/**
 * Where an operation's grant is assigned: `gallery` (the gallery resource groups: versions, Image Builder templates),
 * `fleet` (the fleet's subscriptions or resource groups: scale sets, their VMs and metrics, Resource Graph) or `topic`
 * (Ringmaster's custom Event Grid topic). The deployment has one role per scope (custom-roles.bicep; the topic's is
 * the built-in EventGrid Data Sender), so no scope grants what another one's operations need.
 */
export type RoleScope = 'gallery' | 'fleet' | 'topic';

export interface OperationPermissions {
  scope: RoleScope;
  /** Control-plane actions (role `actions`). The first is the one a 403 most likely means. */
  actions: readonly string[];
  /** Data-plane actions (role `dataActions`). */
  dataActions?: readonly string[];
}

const VERSION_READ = 'Microsoft.Compute/galleries/images/versions/read';
const VERSION_WRITE = 'Microsoft.Compute/galleries/images/versions/write';
const VMSS_READ = 'Microsoft.Compute/virtualMachineScaleSets/read';

export const ARM_ACTIONS = {
  'gallery.getVersion': { scope: 'gallery', actions: [VERSION_READ] },
  'gallery.listVersions': { scope: 'gallery', actions: [VERSION_READ] },
  'gallery.setTargetRegions': { scope: 'gallery', actions: [VERSION_WRITE, VERSION_READ] },
  'gallery.setRegionalExcludeFromLatest': { scope: 'gallery', actions: [VERSION_WRITE, VERSION_READ] },
  'gallery.addTargetRegions': { scope: 'gallery', actions: [VERSION_WRITE, VERSION_READ] },
  'gallery.demote': { scope: 'gallery', actions: [VERSION_WRITE, VERSION_READ] },
  // Resource Graph returns only what the caller may read, so it needs read on the scale sets too.
  'fleet.findScaleSets': { scope: 'fleet', actions: ['Microsoft.ResourceGraph/resources/read', VMSS_READ] },
  'fleet.getLatestRollingUpgrade': { scope: 'fleet', actions: ['Microsoft.Compute/virtualMachineScaleSets/rollingUpgrades/read'] },
  'fleet.getScaleSet': { scope: 'fleet', actions: [VMSS_READ] },
  'fleet.listInstances': { scope: 'fleet', actions: ['Microsoft.Compute/virtualMachineScaleSets/virtualMachines/read'] },
  // A Flexible set's instances are VMs: the VM list filtered to the set.
  'fleet.listFlexibleInstances': { scope: 'fleet', actions: ['Microsoft.Compute/virtualMachines/read'] },
  'fleet.listOSUpgradeHistory': { scope: 'fleet', actions: ['Microsoft.Compute/virtualMachineScaleSets/osUpgradeHistory/read'] },
  'fleet.cancelRollingUpgrade': { scope: 'fleet', actions: ['Microsoft.Compute/virtualMachineScaleSets/rollingUpgrades/cancel/action'] },
  'fleet.startOSUpgrade': { scope: 'fleet', actions: ['Microsoft.Compute/virtualMachineScaleSets/osRollingUpgrade/action'] },
  'imageBuilder.runTemplate': { scope: 'gallery', actions: ['Microsoft.VirtualMachineImages/imageTemplates/run/action'] },
  'imageBuilder.getLastRunStatus': { scope: 'gallery', actions: ['Microsoft.VirtualMachineImages/imageTemplates/read'] },
  'monitor.readMetric': { scope: 'fleet', actions: ['Microsoft.Insights/metrics/read'] },
  // Entra auth to a custom topic needs the data action (role "EventGrid Data Sender"); key auth needs none.
  'events.publish': { scope: 'topic', actions: [], dataActions: ['Microsoft.EventGrid/events/send/action'] },
} as const satisfies Record<string, OperationPermissions>;

/**
 * Operations only the command line performs, with the operator's own sign-in (`ringmaster preflight`): not in the
 * app's role, which grants exactly what the app calls.
 */
export const CLI_ACTIONS = {
  // Azure's region pairs (`metadata.pairedRegion`); any reader of the subscription may list them.
  'locations.listLocations': { scope: 'fleet', actions: ['Microsoft.Resources/subscriptions/locations/read'] },
} as const satisfies Record<string, OperationPermissions>;

export type PortOperation = keyof typeof ARM_ACTIONS | keyof typeof CLI_ACTIONS;

/** The action a 403 on `operation` names. */
export function primaryAction(operation: PortOperation): string {
  const p: OperationPermissions = operation in ARM_ACTIONS ? ARM_ACTIONS[operation as keyof typeof ARM_ACTIONS] : CLI_ACTIONS[operation as keyof typeof CLI_ACTIONS];
  return p.actions[0] ?? p.dataActions?.[0] ?? 'unknown';
}

/** Every action and data action the app's adapters use (of one scope, or all), sorted and unique: a role's exact grant. */
export function requiredRoleActions(scope?: RoleScope): { actions: string[]; dataActions: string[] } {
  const actions = new Set<string>();
  const dataActions = new Set<string>();
  for (const p of Object.values(ARM_ACTIONS) as OperationPermissions[]) {
    if (scope !== undefined && p.scope !== scope) continue;
    p.actions.forEach((a) => actions.add(a));
    p.dataActions?.forEach((a) => dataActions.add(a));
  }
  return { actions: [...actions].sort(), dataActions: [...dataActions].sort() };
}
