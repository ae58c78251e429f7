/**
 * Azure region pairs. Azure never updates both regions of a pair in one phase of its own platform updates, and a
 * bad image in both halves of a pair takes away each one's disaster-recovery partner, so a ring should not hold
 * both. ARM publishes the pairs (`subscriptions.listLocations` → `metadata.pairedRegion`, which `preflight` reads);
 * this built-in table is what a plan is checked against offline, and preflight's fallback when that read is refused. It follows Microsoft's published list of cross-region replication pairs
 * ("Azure cross-region replication pairings for all geographies", learn.microsoft.com, reliability docs); some
 * pairs are one-way (West US 3 → East US, whose own pair is West US). Pure data and functions.
 */
/** Region → the region Azure pairs it with, short lower-case names. */
export type RegionPairs = Readonly<Record<string, string>>;

export const BUILT_IN_PAIRS: RegionPairs = {
  eastus: 'westus',
  westus: 'eastus',
  eastus2: 'centralus',
  centralus: 'eastus2',
  northcentralus: 'southcentralus',
  southcentralus: 'northcentralus',
  westus2: 'westcentralus',
  westcentralus: 'westus2',
  westus3: 'eastus',
  canadacentral: 'canadaeast',
  canadaeast: 'canadacentral',
  brazilsouth: 'southcentralus',
  northeurope: 'westeurope',
  westeurope: 'northeurope',
  uksouth: 'ukwest',
  ukwest: 'uksouth',
  francecentral: 'francesouth',
  francesouth: 'francecentral',
  germanywestcentral: 'germanynorth',
  germanynorth: 'germanywestcentral',
  switzerlandnorth: 'switzerlandwest',
  switzerlandwest: 'switzerlandnorth',
  norwayeast: 'norwaywest',
  norwaywest: 'norwayeast',
  swedencentral: 'swedensouth',
  swedensouth: 'swedencentral',
  eastasia: 'southeastasia',
  southeastasia: 'eastasia',
  australiaeast: 'australiasoutheast',
  australiasoutheast: 'australiaeast',
  australiacentral: 'australiacentral2',
  australiacentral2: 'australiacentral',
  japaneast: 'japanwest',
  japanwest: 'japaneast',
  koreacentral: 'koreasouth',
  koreasouth: 'koreacentral',
  centralindia: 'southindia',
  southindia: 'centralindia',
  westindia: 'southindia',
  southafricanorth: 'southafricawest',
  southafricawest: 'southafricanorth',
  uaenorth: 'uaecentral',
  uaecentral: 'uaenorth',
};

/** The region Azure pairs `region` with, if any. */
export function pairedRegion(region: string, pairs: RegionPairs = BUILT_IN_PAIRS): string | undefined {
  return pairs[region.toLowerCase()];
}

/** Whether Azure pairs `a` and `b` (either way: some pairs are one-way). */
export function arePaired(a: string, b: string, pairs: RegionPairs = BUILT_IN_PAIRS): boolean {
  return pairedRegion(a, pairs) === b.toLowerCase() || pairedRegion(b, pairs) === a.toLowerCase();
}

/** The pairs among `regions`, in the order their first halves appear (a pair counts either way). */
export function pairsIn(regions: readonly string[], pairs: RegionPairs = BUILT_IN_PAIRS): [string, string][] {
  const out: [string, string][] = [];
  regions.forEach((a, i) => {
    for (const b of regions.slice(i + 1)) if (arePaired(a, b, pairs)) out.push([a, b]);
  });
  return out;
}

/**
 * A split of `regions` that keeps every pair apart: the second half of each pair moves to the second ring.
 *
 * @example splitPairs(['northeurope', 'westeurope', 'southeastasia']) // [['northeurope', 'southeastasia'], ['westeurope']]
 */
export function splitPairs(regions: readonly string[], pairs: RegionPairs = BUILT_IN_PAIRS): [string[], string[]] {
  const second = new Set(pairsIn(regions, pairs).map(([, b]) => b));
  return [regions.filter((r) => !second.has(r)), regions.filter((r) => second.has(r))];
}
