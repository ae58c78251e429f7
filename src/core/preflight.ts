/**
 * Preflight: why automatic OS image upgrade would silently do nothing, or misbehave, on the plan's
 * scale sets. Pure: takes scale set models in ARM's JSON shape (as `GET virtualMachineScaleSets`
 * returns them) and, optionally, the target regions of a version; returns named findings with fixes.
 */
import { parseDuration } from './duration';
import type { ReleasePlan } from './plan';
import { pairsIn, splitPairs, type RegionPairs } from './region-pairs';

export type FindingId =
  | 'image-pinned'
  | 'not-gallery-image'
  | 'other-image'
  | 'automatic-os-upgrade-off'
  | 'no-health-source'
  | 'two-health-sources'
  | 'max-surge-on-flex'
  | 'repair-grace-shorter-than-warm-up'
  | 'threshold-looser-than-plan'
  | 'region-not-targeted'
  | 'region-without-scale-sets'
  | 'region-pair-in-ring';

export interface Finding {
  id: FindingId;
  severity: 'error' | 'warning';
  resource: string;
  message: string;
  fix: string;
}

/** The subset of a scale set's ARM model that preflight reads. Unknown fields are ignored. */
export interface ScaleSetModel {
  id: string;
  name?: string;
  location: string;
  properties?: {
    orchestrationMode?: string;
    upgradePolicy?: {
      mode?: string;
      automaticOSUpgradePolicy?: { enableAutomaticOSUpgrade?: boolean };
      rollingUpgradePolicy?: { maxUnhealthyUpgradedInstancePercent?: number; maxSurge?: boolean };
    };
    automaticRepairsPolicy?: { enabled?: boolean; gracePeriod?: string };
    virtualMachineProfile?: {
      storageProfile?: { imageReference?: { id?: string; publisher?: string; offer?: string; sku?: string; version?: string } };
      networkProfile?: { healthProbe?: { id?: string } };
      extensionProfile?: { extensions?: { name?: string; properties?: { publisher?: string; type?: string } }[] };
    };
  };
}

const HEALTH_EXTENSION_TYPES = ['applicationhealthlinux', 'applicationhealthwindows'];

/**
 * Findings for every scale set of the plan's rings. `versionTargetRegions` (names) enables the
 * replication check for the version about to be released.
 */
/**
 * Checks a plan against the fleet as ARM describes it. `pairs`: Azure's region pairs as ARM published them
 * (`listLocations`), or the built-in table with the reason ARM could not be asked.
 */
export function preflight(plan: ReleasePlan, scaleSets: ScaleSetModel[], versionTargetRegions?: string[], pairs?: { table: RegionPairs; source: string }): Finding[] {
  const findings: Finding[] = [];
  if (pairs) findings.push(...pairFindings(plan, pairs));
  const planRegions = new Set(plan.rings.flatMap((r) => r.regions));
  const inPlan = scaleSets.filter((s) => planRegions.has(normalizeRegion(s.location)));
  for (const s of inPlan) findings.push(...checkScaleSet(plan, s));
  for (const ring of plan.rings) {
    for (const region of ring.regions) {
      const here = inPlan.filter((s) => normalizeRegion(s.location) === region);
      if (here.length === 0) {
        findings.push({
          id: 'region-without-scale-sets',
          severity: 'warning',
          resource: region,
          message: `ring ${ring.name}: no scale set in ${region} tracks this image, so the ring proves nothing there`,
          fix: `Remove ${region} from the ring, or check the ring's selector and the fleet's subscriptions.`,
        });
      } else if (versionTargetRegions && !versionTargetRegions.includes(region) && plan.lever === 'regional-flag') {
        findings.push({
          id: 'region-not-targeted',
          severity: 'error',
          resource: region,
          message: `ring ${ring.name}: the version is not replicated to ${region}; with the regional-flag lever the region can never take it`,
          fix: `Publish versions with ${region} in publishingProfile.targetRegions (excludeFromLatest: true), or use lever: replication.`,
        });
      }
    }
  }
  return findings;
}

function checkScaleSet(plan: ReleasePlan, s: ScaleSetModel): Finding[] {
  const out: Finding[] = [];
  const add = (id: FindingId, severity: Finding['severity'], message: string, fix: string) =>
    out.push({ id, severity, resource: s.id, message, fix });
  const p = s.properties ?? {};
  const image = p.virtualMachineProfile?.storageProfile?.imageReference ?? {};
  const imageId = image.id ?? '';
  if (!/\/providers\/Microsoft\.Compute\/galleries\/[^/]+\/images\//i.test(imageId)) {
    add('not-gallery-image', 'error', `image reference is ${image.publisher ? `the Marketplace image ${image.publisher}:${image.offer}:${image.sku}` : imageId || 'missing'}, not a gallery image`, `Point imageReference.id at ${plan.image}.`);
  } else if (/\/versions\/[^/]+$/i.test(imageId)) {
    add('image-pinned', 'error', `image reference is pinned to ${imageId.split('/').at(-1)}; automatic OS upgrade never moves a pinned scale set`, `Set imageReference.id to the definition ${plan.image} (no /versions/ segment) so the set tracks latest.`);
  } else if (imageId.toLowerCase() !== plan.image.toLowerCase()) {
    add('other-image', 'warning', `tracks ${imageId.split('/').at(-1)}, not ${plan.image.split('/').at(-1)}`, 'Narrow the ring with scaleSets or a selector, or fix the image reference.');
  }
  if (p.upgradePolicy?.automaticOSUpgradePolicy?.enableAutomaticOSUpgrade !== true) {
    add('automatic-os-upgrade-off', 'error', 'automaticOSUpgradePolicy.enableAutomaticOSUpgrade is not true; new versions are never rolled out', 'Enable automatic OS image upgrade, or set startOsUpgrade: true on the ring.');
  }
  const hasExtension = (p.virtualMachineProfile?.extensionProfile?.extensions ?? []).some((e) =>
    HEALTH_EXTENSION_TYPES.includes((e.properties?.type ?? '').toLowerCase()),
  );
  const hasProbe = Boolean(p.virtualMachineProfile?.networkProfile?.healthProbe?.id);
  if (!hasExtension && !hasProbe) {
    add('no-health-source', 'error', 'no Application Health extension and no load balancer health probe; automatic OS upgrade needs one', 'Add the Application Health extension probing an endpoint that checks real readiness.');
  } else if (hasExtension && hasProbe) {
    add('two-health-sources', 'error', 'both the Application Health extension and a load balancer probe report health; the platform refuses to roll', 'Keep one health source (the extension is preferred).');
  }
  const flex = (p.orchestrationMode ?? '').toLowerCase() === 'flexible';
  if (flex && p.upgradePolicy?.rollingUpgradePolicy?.maxSurge === true) {
    add('max-surge-on-flex', 'error', 'rollingUpgradePolicy.maxSurge is on for a Flexible scale set; automatic OS upgrade silently does nothing', 'Set maxSurge to false.');
  }
  const grace = p.automaticRepairsPolicy?.enabled ? isoDurationMs(p.automaticRepairsPolicy.gracePeriod ?? 'PT10M') : undefined;
  const warmUp = parseDuration(plan.health.warmUp) ?? 0;
  if (grace !== undefined && grace < warmUp) {
    add('repair-grace-shorter-than-warm-up', 'warning', `automatic repairs grace period ${p.automaticRepairsPolicy?.gracePeriod} is shorter than the plan's warm-up ${plan.health.warmUp}; repairs will churn instances that are still starting`, `Set automaticRepairsPolicy.gracePeriod to at least ${plan.health.warmUp}.`);
  }
  const limit = p.upgradePolicy?.rollingUpgradePolicy?.maxUnhealthyUpgradedInstancePercent ?? 20;
  if (limit > plan.health.maxUnhealthyUpgradedInstancePercent) {
    add('threshold-looser-than-plan', 'warning', `maxUnhealthyUpgradedInstancePercent is ${limit} %, looser than the plan's ${plan.health.maxUnhealthyUpgradedInstancePercent} %; the platform will keep rolling where the plan would stop`, `Set rollingUpgradePolicy.maxUnhealthyUpgradedInstancePercent to ${plan.health.maxUnhealthyUpgradedInstancePercent} or less.`);
  }
  return out;
}

/** "East US" → "eastus"; ARM returns either form. */
export function normalizeRegion(location: string): string {
  return location.toLowerCase().replace(/\s+/g, '');
}

/** ISO 8601 durations as ARM writes them: "PT30M" → 1_800_000. Unknown forms → 0. */
export function isoDurationMs(text: string): number {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(text.trim());
  if (!m) return 0;
  const [, d, h, min, s] = m;
  return ((Number(d ?? 0) * 24 + Number(h ?? 0)) * 60 + Number(min ?? 0)) * 60_000 + Number(s ?? 0) * 1000;
}

/**
 * A ring that holds both regions of an Azure pair, as `pairs` says (ARM's own list can differ from the built-in
 * table `plan validate` used). A ring that set `allowPairedRegions` is left to `plan validate`'s warning.
 */
function pairFindings(plan: ReleasePlan, pairs: { table: RegionPairs; source: string }): Finding[] {
  return plan.rings
    .filter((ring) => !ring.allowPairedRegions)
    .flatMap((ring) =>
      pairsIn(ring.regions, pairs.table).map(([a, b]): Finding => {
        const [first, second] = splitPairs(ring.regions, pairs.table);
        return {
          id: 'region-pair-in-ring',
          severity: 'error',
          resource: `${a}+${b}`,
          message: `ring ${ring.name}: ${a} and ${b} are an Azure region pair (${pairs.source}); Azure never updates both halves of a pair in one phase`,
          fix: `Split the ring: ${ring.name}-a: [${first.join(', ')}], ${ring.name}-b: [${second.join(', ')}] — or set allowPairedRegions: true on it.`,
        };
      }),
    );
}
