// Fleet model -> ARM JSON, in the shapes of the GalleryRP, ComputeRP and Image Builder OpenAPI documents.
import type { UpgradeEngine } from './upgrade-engine';
import {
  galleryId,
  imageDefinitionId,
  scaleSetId,
  templateId,
  versionId,
  type FleetState,
  type ImageDefinition,
  type ImageTemplate,
  type ImageVersion,
  type Instance,
  type RollingUpgrade,
  type ScaleSet,
} from './fleet-model';
import { displayRegion } from './regions';
import { toIsoDuration, parseIsoDuration } from './durations';

type Json = Record<string, unknown>;
const iso = (ms: number): string => new Date(ms).toISOString();

export function galleryJson(f: FleetState): Json {
  const g = f.gallery;
  return {
    id: galleryId(f),
    name: g.name,
    type: 'Microsoft.Compute/galleries',
    location: g.location,
    tags: {},
    properties: { description: `${g.name} (simulated)`, identifier: { uniqueName: `${f.subscriptionId}-${g.name.toUpperCase()}` }, provisioningState: 'Succeeded' },
  };
}

export function imageJson(f: FleetState, img: ImageDefinition): Json {
  return {
    id: imageDefinitionId(f, img.name),
    name: img.name,
    type: 'Microsoft.Compute/galleries/images',
    location: img.location,
    tags: {},
    properties: {
      osType: img.osType,
      osState: img.osState,
      hyperVGeneration: img.hyperVGeneration,
      identifier: img.identifier,
      architecture: 'x64',
      provisioningState: 'Succeeded',
    },
  };
}

export function replicationStatusJson(v: ImageVersion, now: number): Json {
  const summary = v.targetRegions.map((r) => {
    const progress =
      r.state === 'Completed' ? 100 : r.state === 'Failed' ? 0 : Math.min(99, Math.floor(((now - r.startedAt) * 100) / Math.max(1, r.completesAt - r.startedAt)));
    return { region: displayRegion(r.region), state: r.state, details: r.state === 'Failed' ? 'Replication failed (simulated).' : '', progress };
  });
  const states = v.targetRegions.map((r) => r.state);
  const aggregatedState = states.includes('Failed') ? 'Failed' : states.every((s) => s === 'Completed') ? 'Completed' : 'InProgress';
  return { aggregatedState, summary };
}

export function versionJson(f: FleetState, img: ImageDefinition, v: ImageVersion, now: number, expandReplication: boolean): Json {
  const properties: Json = {
    publishingProfile: {
      targetRegions: v.targetRegions.map((r) => {
        const t: Json = { name: displayRegion(r.region), regionalReplicaCount: r.regionalReplicaCount, storageAccountType: r.storageAccountType };
        if (r.excludeFromLatest !== undefined) t.excludeFromLatest = r.excludeFromLatest;
        return t;
      }),
      replicaCount: v.replicaCount,
      excludeFromLatest: v.excludeFromLatest,
      publishedDate: iso(v.publishedDate),
      storageAccountType: v.storageAccountType,
      replicationMode: 'Full',
    },
    storageProfile: { source: { id: v.sourceId }, osDiskImage: { sizeInGB: 30, hostCaching: 'ReadWrite' } },
    safetyProfile: { allowDeletionOfReplicatedLocations: false, reportedForPolicyViolation: false },
    provisioningState: v.provisioningState,
  };
  if (expandReplication) properties.replicationStatus = replicationStatusJson(v, now);
  return { id: versionId(f, img.name, v.name), name: v.name, type: 'Microsoft.Compute/galleries/images/versions', location: v.location, tags: v.tags, properties };
}

export function rollingPolicyJson(p: NonNullable<ScaleSet['upgradePolicy']['rollingUpgradePolicy']>): Json {
  const out: Json = {
    maxBatchInstancePercent: p.maxBatchInstancePercent,
    maxUnhealthyInstancePercent: p.maxUnhealthyInstancePercent,
    maxUnhealthyUpgradedInstancePercent: p.maxUnhealthyUpgradedInstancePercent,
    pauseTimeBetweenBatches: toIsoDuration(parseIsoDuration(p.pauseTimeBetweenBatches)),
    rollbackFailedInstancesOnPolicyBreach: p.rollbackFailedInstancesOnPolicyBreach,
  };
  for (const k of ['enableCrossZoneUpgrade', 'prioritizeUnhealthyInstances', 'maxSurge'] as const) if (p[k] !== undefined) out[k] = p[k];
  return out;
}

export function scaleSetJson(f: FleetState, s: ScaleSet): Json {
  const id = scaleSetId(f, s);
  const imageReference: Json = { id: s.pinnedVersion ? `${s.imageId}/versions/${s.pinnedVersion}` : s.imageId, exactVersion: s.modelVersion };
  const upgradePolicy: Json = { mode: s.upgradePolicy.mode };
  if (s.upgradePolicy.rollingUpgradePolicy) upgradePolicy.rollingUpgradePolicy = rollingPolicyJson(s.upgradePolicy.rollingUpgradePolicy);
  if (s.upgradePolicy.automaticOSUpgradePolicy) upgradePolicy.automaticOSUpgradePolicy = { ...s.upgradePolicy.automaticOSUpgradePolicy };
  const networkProfile: Json =
    s.orchestrationMode === 'Flexible' ? { networkApiVersion: '2020-11-01', networkInterfaceConfigurations: [] } : { networkInterfaceConfigurations: [] };
  if (s.healthSource === 'probe' || s.healthSource === 'both') {
    networkProfile.healthProbe = { id: `/subscriptions/${f.subscriptionId}/resourceGroups/${s.resourceGroup}/providers/Microsoft.Network/loadBalancers/lb-${s.name}/probes/health` };
  }
  const vmProfile: Json = {
    osProfile: { computerNamePrefix: s.name.slice(0, 9), adminUsername: 'azureuser' },
    storageProfile: { imageReference, osDisk: { createOption: 'FromImage', caching: 'ReadWrite', managedDisk: { storageAccountType: 'Premium_LRS' } } },
    networkProfile,
  };
  if (s.healthSource === 'extension' || s.healthSource === 'both') {
    vmProfile.extensionProfile = {
      extensions: [
        {
          name: 'HealthExtension',
          properties: {
            publisher: 'Microsoft.ManagedServices',
            type: 'ApplicationHealthLinux',
            typeHandlerVersion: '2.0',
            autoUpgradeMinorVersion: true,
            settings: { protocol: 'http', port: 80, requestPath: '/health' },
          },
        },
      ],
    };
  }
  const properties: Json = {
    orchestrationMode: s.orchestrationMode,
    upgradePolicy,
    virtualMachineProfile: vmProfile,
    provisioningState: 'Succeeded',
    uniqueId: s.uniqueId,
    timeCreated: iso(s.timeCreated),
    platformFaultDomainCount: 1,
  };
  if (s.orchestrationMode === 'Uniform') {
    properties.overprovision = false;
    properties.singlePlacementGroup = false;
  }
  const out: Json = {
    id,
    name: s.name,
    type: 'Microsoft.Compute/virtualMachineScaleSets',
    location: s.location,
    tags: s.tags,
    sku: { name: s.sku, tier: 'Standard', capacity: s.instances.length },
    properties,
  };
  if (s.zones) out.zones = s.zones;
  return out;
}

/** The model part of an instance both list APIs share: provisioning state, image (with `exactVersion`), instance view. */
function instanceProperties(s: ScaleSet, i: Instance, expandInstanceView: boolean): Json {
  const properties: Json = {
    provisioningState: i.state === 'running' ? 'Succeeded' : 'Updating',
    storageProfile: { imageReference: { id: s.pinnedVersion ? `${s.imageId}/versions/${s.pinnedVersion}` : s.imageId, exactVersion: i.version } },
    osProfile: { computerName: i.name, adminUsername: 'azureuser' },
  };
  if (expandInstanceView) {
    const view: Json = {
      computerName: i.name,
      statuses: [
        { code: i.state === 'running' ? 'ProvisioningState/succeeded' : 'ProvisioningState/updating', level: 'Info', displayStatus: i.state === 'running' ? 'Provisioning succeeded' : 'Updating' },
        { code: 'PowerState/running', level: 'Info', displayStatus: 'VM running' },
      ],
    };
    if (s.healthSource !== 'none') {
      const code = i.health === 'healthy' ? 'HealthState/healthy' : i.health === 'unhealthy' ? 'HealthState/unhealthy' : 'HealthState/unknown';
      view.vmHealth = { status: { code, level: i.health === 'unhealthy' ? 'Error' : 'Info', displayStatus: code.replace('HealthState/', 'The VM is ') } };
    }
    properties.instanceView = view;
  }
  return properties;
}

/** A Flexible set's instance as `VirtualMachines_List` returns it: a VM of its own that names its scale set. */
export function flexibleVmJson(f: FleetState, s: ScaleSet, i: Instance, expandInstanceView: boolean): Json {
  return {
    id: `/subscriptions/${f.subscriptionId}/resourceGroups/${s.resourceGroup}/providers/Microsoft.Compute/virtualMachines/${i.name}`,
    name: i.name,
    type: 'Microsoft.Compute/virtualMachines',
    location: s.location,
    properties: { ...instanceProperties(s, i, expandInstanceView), virtualMachineScaleSet: { id: scaleSetId(f, s) } },
  };
}

export function instanceJson(f: FleetState, s: ScaleSet, i: Instance, expandInstanceView: boolean): Json {
  const properties: Json = { latestModelApplied: i.version === s.modelVersion, ...instanceProperties(s, i, expandInstanceView) };
  return {
    id: `${scaleSetId(f, s)}/virtualMachines/${i.instanceId}`,
    name: i.name,
    instanceId: i.instanceId,
    type: 'Microsoft.Compute/virtualMachineScaleSets/virtualMachines',
    location: s.location,
    properties,
  };
}

function apiError(e: { code: string; message: string } | undefined): Json | undefined {
  return e ? { code: e.code, message: e.message } : undefined;
}

export function rollingStatusJson(f: FleetState, s: ScaleSet, ru: RollingUpgrade, engine: UpgradeEngine): Json {
  const runningStatus: Json = { code: ru.code, startTime: iso(ru.startTime), lastAction: ru.lastAction, lastActionTime: iso(ru.lastActionTime) };
  const properties: Json = { policy: rollingPolicyJson(ru.policy), runningStatus, progress: engine.progress(s, ru) };
  const err = apiError(ru.error);
  if (err) properties.error = err;
  return { id: `${scaleSetId(f, s)}/rollingUpgrades/latest`, name: 'latest', type: 'Microsoft.Compute/virtualMachineScaleSets/rollingUpgrades', location: s.location, properties };
}

export function historyJson(f: FleetState, s: ScaleSet, ru: RollingUpgrade, engine: UpgradeEngine): Json {
  const runningStatus: Json = { code: ru.code, startTime: iso(ru.startTime) };
  if (ru.endTime !== undefined) runningStatus.endTime = iso(ru.endTime);
  const properties: Json = {
    runningStatus,
    progress: engine.progress(s, ru),
    startedBy: ru.startedBy,
    // As the set's model names the image (a definition tracking latest), with the version it resolved to.
    targetImageReference: { id: s.pinnedVersion ? `${s.imageId}/versions/${s.pinnedVersion}` : s.imageId, exactVersion: ru.targetVersion },
    rollbackInfo: { successfullyRolledbackInstanceCount: ru.rollback.succeeded, failedRolledbackInstanceCount: ru.rollback.failed },
  };
  const err = apiError(ru.error);
  if (err) properties.error = err;
  return { properties, type: 'Microsoft.Compute/virtualMachineScaleSets/rollingUpgrades', location: s.location };
}

export function templateJson(f: FleetState, t: ImageTemplate): Json {
  const properties: Json = {
    source: { type: 'PlatformImage', publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server', version: 'latest' },
    customize: [{ type: 'Shell', name: 'install-app', inline: ['echo building (simulated)'] }],
    distribute: [
      {
        type: 'SharedImage',
        galleryImageId: imageIdFromKey(f, t.imageKey),
        runOutputName: t.name,
        targetRegions: (t.targetRegions ?? f.regions.map((r): NonNullable<ImageTemplate['targetRegions']>[number] => ({ name: r }))).map((r) => ({ name: r.name, replicaCount: r.regionalReplicaCount ?? 1, storageAccountType: r.storageAccountType ?? 'Standard_LRS' })),
        ...(t.excludeFromLatest !== undefined ? { excludeFromLatest: t.excludeFromLatest } : {}),
      },
    ],
    buildTimeoutInMinutes: Math.max(60, Math.ceil(t.buildDurationMs / 60_000) * 2),
    vmProfile: { vmSize: 'Standard_D2s_v5', osDiskSizeGB: 30 },
    provisioningState: 'Succeeded',
  };
  if (t.lastRunStatus) {
    const r = t.lastRunStatus;
    const last: Json = { startTime: iso(r.startTime), runState: r.runState, message: r.message };
    if (r.endTime !== undefined) last.endTime = iso(r.endTime);
    if (r.runSubState !== undefined) last.runSubState = r.runSubState;
    properties.lastRunStatus = last;
  }
  return {
    id: templateId(f, t),
    name: t.name,
    type: 'Microsoft.VirtualMachineImages/imageTemplates',
    location: t.location,
    tags: {},
    identity: {
      type: 'UserAssigned',
      userAssignedIdentities: { [`/subscriptions/${f.subscriptionId}/resourceGroups/${t.resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-aib-${t.name}`]: {} },
    },
    properties,
  };
}

function imageIdFromKey(f: FleetState, k: string): string {
  for (const img of f.gallery.images.values()) if (imageDefinitionId(f, img.name).toLowerCase() === k) return imageDefinitionId(f, img.name);
  return k;
}
