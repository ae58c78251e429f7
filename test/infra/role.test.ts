/** The custom roles in infra/ grant exactly what the code calls, and the build identity never gets broad rights. */
import { describe, expect, it } from 'vitest';
import { ARM_ACTIONS, requiredRoleActions } from '../../src/azure/arm-actions';
import { allBicep, arrayProperty, bicep, marked, resourceBody } from './bicep-text';

const roles = bicep('modules/custom-roles.bicep');

describe('Ringmaster custom role', () => {
  const block = marked(roles, 'ringmaster-role-actions');

  it('grants exactly the actions of src/azure/arm-actions.ts, no more, no fewer', () => {
    const { actions, dataActions } = requiredRoleActions();
    expect([...arrayProperty(block, 'actions')].sort()).toEqual(actions);
    expect([...arrayProperty(block, 'dataActions')].sort()).toEqual(dataActions);
  });

  it('has no wildcard and no notActions carve-outs', () => {
    expect(block).not.toContain('*');
    expect(arrayProperty(block, 'notActions')).toEqual([]);
    expect(arrayProperty(block, 'notDataActions')).toEqual([]);
  });

  it('covers every port operation (a new operation without its action fails here first)', () => {
    const granted = new Set([...arrayProperty(block, 'actions'), ...arrayProperty(block, 'dataActions')]);
    for (const [op, p] of Object.entries(ARM_ACTIONS)) {
      for (const a of [...p.actions, ...('dataActions' in p ? p.dataActions : [])]) expect(granted.has(a), `${op}: ${a}`).toBe(true);
    }
  });

  it('is assigned on the gallery resource groups, the fleet and the custom topic, never at a management group', () => {
    const main = bicep('main.bicep');
    expect(main).toMatch(/module galleryAssignments[\s\S]*?roleDefinitionId: ringmasterRoleId/);
    expect(main).toMatch(/module fleetSubscriptionAssignments[\s\S]*?scope: subscription\(id\)[\s\S]*?ringmasterRoleId/);
    expect(main).toMatch(/module fleetGroupAssignments[\s\S]*?ringmasterRoleId/);
    expect(bicep('modules/eventing.bicep')).toMatch(/scope: customTopic[\s\S]*?roleDefinitionId: ringmasterRoleId/);
    expect(allBicep()).not.toMatch(/managementGroup\(/);
  });
});

describe('Image Builder identity role', () => {
  const actions = arrayProperty(marked(roles, 'image-builder-role-actions'), 'actions');

  it('publishes versions and builds images and disks, nothing else', () => {
    for (const a of ['Microsoft.Compute/galleries/images/versions/write', 'Microsoft.Compute/images/write', 'Microsoft.Compute/disks/write']) expect(actions).toContain(a);
    expect(actions.every((a) => a.startsWith('Microsoft.Compute/') && !a.includes('*'))).toBe(true);
    expect(actions.filter((a) => !/\/(read|write|delete)$/.test(a))).toEqual([]);
  });

  it('is assigned on the gallery and staging resource groups only, never Contributor or Owner', () => {
    const main = bicep('main.bicep');
    const loop = /module imageBuilderAssignments[\s\S]*?union\(galleryRgs, stagingScopes\)[\s\S]*?scope: resourceGroup\(/.exec(main);
    expect(loop).not.toBeNull();
    expect(resourceBody(roles, 'imageBuilderRole')).toContain('assignableScopes: imageBuilderAssignableScopes');
    const all = allBicep();
    // Built-in Contributor and Owner role definition ids.
    expect(all).not.toContain('b24988ac-6180-42a0-ab88-20f7382dd24c');
    expect(all).not.toContain('8e3af657-a8ff-443c-a75c-2fe8c4bcb635');
    expect(all).not.toMatch(/'Contributor'|'Owner'/);
  });
});
