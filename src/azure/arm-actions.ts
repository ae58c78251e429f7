/**
 * The Azure RBAC actions each port method needs, as data. The deployment's custom role is generated from, or tested
 * against, `requiredRoleActions()`; a `Forbidden` error names `primaryAction(operation)`.
 * See https://learn.microsoft.com/azure/role-based-access-control/permissions/compute
 */

export interface OperationPermissions {
  /** Control-plane actions (role `actions`). The first is the one a 403 most likely means. */
  actions: readonly string[];
  /** Data-plane actions (role `dataActions`). */
  dataActions?: readonly string[];
}

const VERSION_READ = 'Microsoft.Compute/galleries/images/versions/read';
const VERSION_WRITE = 'Microsoft.Compute/galleries/images/versions/write';
const VMSS_READ = 'Microsoft.Compute/virtualMachineScaleSets/read';

export const ARM_ACTIONS = {
  'gallery.getVersion': { actions: [VERSION_READ] },
  'gallery.listVersions': { actions: [VERSION_READ] },
  'gallery.setTargetRegions': { actions: [VERSION_WRITE, VERSION_READ] },
  'gallery.setRegionalExcludeFromLatest': { actions: [VERSION_WRITE, VERSION_READ] },
  'gallery.addTargetRegions': { actions: [VERSION_WRITE, VERSION_READ] },
  'gallery.demote': { actions: [VERSION_WRITE, VERSION_READ] },
  // Resource Graph returns only what the caller may read, so it needs read on the scale sets too.
  'fleet.findScaleSets': { actions: ['Microsoft.ResourceGraph/resources/read', VMSS_READ] },
  'fleet.getLatestRollingUpgrade': { actions: ['Microsoft.Compute/virtualMachineScaleSets/rollingUpgrades/read'] },
  'fleet.getScaleSet': { actions: [VMSS_READ] },
  'fleet.listInstances': { actions: ['Microsoft.Compute/virtualMachineScaleSets/virtualMachines/read'] },
  // A Flexible set's instances are VMs: the VM list filtered to the set.
  'fleet.listFlexibleInstances': { actions: ['Microsoft.Compute/virtualMachines/read'] },
  'fleet.listOSUpgradeHistory': { actions: ['Microsoft.Compute/virtualMachineScaleSets/osUpgradeHistory/read'] },
  'fleet.cancelRollingUpgrade': { actions: ['Microsoft.Compute/virtualMachineScaleSets/rollingUpgrades/cancel/action'] },
  'fleet.startOSUpgrade': { actions: ['Microsoft.Compute/virtualMachineScaleSets/osRollingUpgrade/action'] },
  'imageBuilder.runTemplate': { actions: ['Microsoft.VirtualMachineImages/imageTemplates/run/action'] },
  'imageBuilder.getLastRunStatus': { actions: ['Microsoft.VirtualMachineImages/imageTemplates/read'] },
  'monitor.readMetric': { actions: ['Microsoft.Insights/metrics/read'] },
  // Entra auth to a custom topic needs the data action (role "EventGrid Data Sender"); key auth needs none.
  'events.publish': { actions: [], dataActions: ['Microsoft.EventGrid/events/send/action'] },
} as const satisfies Record<string, OperationPermissions>;

/**
 * Operations only the command line performs, with the operator's own sign-in (`ringmaster preflight`): not in the
 * app's role, which grants exactly what the app calls.
 */
export const CLI_ACTIONS = {
  // Azure's region pairs (`metadata.pairedRegion`); any reader of the subscription may list them.
  'locations.listLocations': { actions: ['Microsoft.Resources/subscriptions/locations/read'] },
} as const satisfies Record<string, OperationPermissions>;

export type PortOperation = keyof typeof ARM_ACTIONS | keyof typeof CLI_ACTIONS;

/** The action a 403 on `operation` names. */
export function primaryAction(operation: PortOperation): string {
  const p: OperationPermissions = operation in ARM_ACTIONS ? ARM_ACTIONS[operation as keyof typeof ARM_ACTIONS] : CLI_ACTIONS[operation as keyof typeof CLI_ACTIONS];
  return p.actions[0] ?? p.dataActions?.[0] ?? 'unknown';
}

/** Every action and data action the adapters use, sorted and unique: the custom role's exact grant. */
export function requiredRoleActions(): { actions: string[]; dataActions: string[] } {
  const actions = new Set<string>();
  const dataActions = new Set<string>();
  for (const p of Object.values(ARM_ACTIONS) as OperationPermissions[]) {
    p.actions.forEach((a) => actions.add(a));
    p.dataActions?.forEach((a) => dataActions.add(a));
  }
  return { actions: [...actions].sort(), dataActions: [...dataActions].sort() };
}
