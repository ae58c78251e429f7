/**
 * The custom roles, read from the compiled ARM JSON of infra/main.bicep: they grant exactly what the code calls, their
 * names are unique per subscription in the tenant, they are assigned where the code needs them, and the build identity
 * never gets broad rights.
 */
import { expect, it } from 'vitest';
import { ARM_ACTIONS, requiredRoleActions } from '../../src/azure/arm-actions';
import { callsOf, parseExpression, print } from './arm-expression';
import { type ArmResource, describeWithArm, moduleNamed, moduleTemplate, ofType, resourcesOf } from './bicep-cli';

type Permissions = { actions: string[]; notActions: string[]; dataActions?: string[]; notDataActions?: string[] };
type RoleProperties = { roleName: string; description: string; type: string; permissions: Permissions[]; assignableScopes: string };

describeWithArm('custom roles (compiled ARM JSON)', (arm) => {
  const roles = () => moduleTemplate(arm(), 'custom-roles');
  const role = (guidParam: string): ArmResource & { properties: RoleProperties } => {
    const found = ofType(roles(), 'Microsoft.Authorization/roleDefinitions').filter((r) => r.name === `[parameters('${guidParam}')]`);
    expect(found, guidParam).toHaveLength(1);
    return found[0] as ArmResource & { properties: RoleProperties };
  };
  const gallery = () => role('galleryRoleGuid');
  const fleet = () => role('fleetRoleGuid');
  const imageBuilder = () => role('imageBuilderRoleGuid');
  /** The built-in EventGrid Data Sender: its one data action is Microsoft.EventGrid/events/send/action. */
  const EVENTGRID_DATA_SENDER = 'd5a91429-5739-47e2-a06b-3470a27159e7';

  it.each([
    ['gallery', gallery],
    ['fleet', fleet],
  ] as const)('the %s role grants exactly that scope\'s actions of src/azure/arm-actions.ts, no more, no fewer, no wildcard', (scope, r) => {
    const { actions, dataActions } = requiredRoleActions(scope);
    const [p, ...more] = r().properties.permissions;
    expect(more).toEqual([]);
    expect([...(p?.actions ?? [])].sort()).toEqual(actions);
    expect([...(p?.dataActions ?? [])].sort()).toEqual(dataActions);
    expect(p?.notActions).toEqual([]);
    expect(p?.notDataActions).toEqual([]);
    expect(JSON.stringify(p)).not.toContain('*');
  });

  it('the roles together grant exactly what the adapters call: the two custom roles, and the topic\'s send (EventGrid Data Sender)', () => {
    const all = requiredRoleActions();
    const granted = [gallery(), fleet()].flatMap((r) => r.properties.permissions[0]!.actions);
    expect([...new Set(granted)].sort()).toEqual(all.actions);
    expect(requiredRoleActions('topic')).toEqual({ actions: [], dataActions: ['Microsoft.EventGrid/events/send/action'] });
    expect(all.dataActions).toEqual(['Microsoft.EventGrid/events/send/action']);
    // A new operation without its action in its scope's role fails here first.
    for (const [op, port] of Object.entries(ARM_ACTIONS)) {
      if (port.scope === 'topic') continue;
      const p = (port.scope === 'gallery' ? gallery() : fleet()).properties.permissions[0]!;
      for (const a of port.actions) expect(p.actions, `${op}: ${a}`).toContain(a);
    }
    // No action of one scope in the other's role: a gallery write is never granted over the fleet.
    expect(fleet().properties.permissions[0]!.actions.filter((a) => a.startsWith('Microsoft.Compute/galleries'))).toEqual([]);
    expect(gallery().properties.permissions[0]!.actions.filter((a) => a.includes('virtualMachine'))).toEqual([]);
  });

  it('role names are unique per subscription in the tenant: environment and a hash of the subscription', () => {
    expect(roles().variables?.subscriptionTag).toBe('[uniqueString(subscription().id)]');
    for (const r of [gallery(), fleet(), imageBuilder()]) {
      const name = parseExpression(r.properties.roleName);
      expect(print(name)).toContain("parameters('environmentName')");
      expect(print(name)).toContain("variables('subscriptionTag')");
      expect(r.properties.type).toBe('CustomRole');
    }
    // The definitions' GUIDs are per subscription and environment too.
    for (const v of ['galleryRoleGuid', 'fleetRoleGuid', 'imageBuilderRoleGuid']) {
      const g = callsOf(parseExpression(String(arm().variables?.[v])), 'guid')[0];
      expect(g && print(g), v).toMatch(/^guid\(subscription\(\)\.id, '[a-z-]+', parameters\('environmentName'\)\)$/);
    }
  });

  it('assignments name the role definitions custom-roles creates', () => {
    expect(arm().variables?.galleryRoleId).toBe("[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', variables('galleryRoleGuid'))]");
    expect(arm().variables?.fleetRoleId).toBe("[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', variables('fleetRoleGuid'))]");
    expect(arm().variables?.imageBuilderRoleId).toBe("[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', variables('imageBuilderRoleGuid'))]");
    const params = moduleNamed(arm(), 'custom-roles').properties?.parameters as Record<string, { value: string }>;
    expect(params.galleryRoleGuid?.value).toBe("[variables('galleryRoleGuid')]");
    expect(params.fleetRoleGuid?.value).toBe("[variables('fleetRoleGuid')]");
    expect(params.galleryAssignableScopes?.value).toBe("[variables('galleryRgs')]");
    expect(params.fleetAssignableScopes?.value).toBe("[variables('fleetScopes')]");
    expect(params.imageBuilderRoleGuid?.value).toBe("[variables('imageBuilderRoleGuid')]");
  });

  /** The role-assignment module loops of main.bicep, by copy name. */
  const loops = () => new Map(resourcesOf(arm()).filter((r) => r.copy).map((r) => [r.copy!.name, r]));
  const roleOf = (r: ArmResource) => (r.properties?.parameters as Record<string, { value: string }>).roleDefinitionId?.value;

  it('the gallery role on each gallery resource group only, the fleet role on the fleet only (subscriptions or resource groups), EventGrid Data Sender on the custom topic only', () => {
    const l = loops();
    const gallery = l.get('galleryAssignments')!;
    expect(gallery.subscriptionId).toBe("[split(variables('galleryRgs')[copyIndex()], '/')[2]]");
    expect(gallery.resourceGroup).toBe("[split(variables('galleryRgs')[copyIndex()], '/')[4]]");
    const fleetRgs = l.get('fleetGroupAssignments')!;
    expect(fleetRgs.resourceGroup).toBe("[split(variables('fleetRgs')[copyIndex()], '/')[4]]");
    // Subscription-wide only when no fleet resource groups are named.
    const fleetSubs = l.get('fleetSubscriptionAssignments')!;
    expect(fleetSubs.copy?.count).toBe("[length(if(empty(variables('fleetRgs')), variables('fleetSubs'), createArray()))]");
    expect(fleetSubs.resourceGroup).toBeUndefined();
    expect(roleOf(gallery)).toBe("[variables('galleryRoleId')]");
    for (const r of [fleetRgs, fleetSubs]) expect(roleOf(r)).toBe("[variables('fleetRoleId')]");
    const [topic] = ofType(moduleTemplate(arm(), 'eventing'), 'Microsoft.Authorization/roleAssignments');
    expect(topic?.scope).toBe("[resourceId('Microsoft.EventGrid/topics', parameters('customTopicName'))]");
    expect((topic?.properties as { roleDefinitionId: string }).roleDefinitionId).toBe("[variables('eventGridDataSender')]");
    expect(moduleTemplate(arm(), 'eventing').variables?.eventGridDataSender).toContain(EVENTGRID_DATA_SENDER);
  });

  it('never at a management group or tenant; assignment names do not depend on runtime values', () => {
    const text = JSON.stringify(arm());
    expect(text).not.toMatch(/managementGroup|tenantResourceId\('Microsoft\.Authorization\/roleAssignments/);
    for (const a of ofType(arm(), 'Microsoft.Authorization/roleAssignments')) {
      expect(a.name, a.name).not.toMatch(/reference\(|principalId'\)/);
    }
  });

  it('Image Builder\'s role publishes versions and builds images and disks, nothing else, on the gallery and staging groups only', () => {
    const actions = imageBuilder().properties.permissions[0]!.actions;
    for (const a of ['Microsoft.Compute/galleries/images/versions/write', 'Microsoft.Compute/images/write', 'Microsoft.Compute/disks/write']) expect(actions).toContain(a);
    expect(actions.every((a) => a.startsWith('Microsoft.Compute/') && !a.includes('*'))).toBe(true);
    expect(actions.filter((a) => !/\/(read|write|delete)$/.test(a))).toEqual([]);
    expect(imageBuilder().properties.assignableScopes).toBe("[parameters('imageBuilderAssignableScopes')]");
    const aib = loops().get('imageBuilderAssignments')!;
    expect(roleOf(aib)).toBe("[variables('imageBuilderRoleId')]");
    expect(aib.resourceGroup).toMatch(/union\(variables\('galleryRgs'\), variables\('stagingScopes'\)\)/);
  });

  it('no built-in Contributor or Owner anywhere', () => {
    const text = JSON.stringify(arm());
    expect(text).not.toContain('b24988ac-6180-42a0-ab88-20f7382dd24c');
    expect(text).not.toContain('8e3af657-a8ff-443c-a75c-2fe8c4bcb635');
  });
});
