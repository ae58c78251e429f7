// Region names. ARM accepts "eastus" or "East US" and answers with display names in some places
// (gallery targetRegions and replicationStatus.summary), as Azure does; callers must normalise.

/**
 * The locations the simulator's subscription lists (`Subscriptions_ListLocations`): display name and the region
 * Azure pairs it with (`metadata.pairedRegion`), after Microsoft's published cross-region replication pairs; some
 * pairs are one-way (West US 3 → East US). Regions without a pair have none.
 */
const LOCATIONS: Record<string, { display: string; paired?: string }> = {
  eastus: { display: 'East US', paired: 'westus' },
  eastus2: { display: 'East US 2', paired: 'centralus' },
  westus: { display: 'West US', paired: 'eastus' },
  westus2: { display: 'West US 2', paired: 'westcentralus' },
  westus3: { display: 'West US 3', paired: 'eastus' },
  centralus: { display: 'Central US', paired: 'eastus2' },
  northcentralus: { display: 'North Central US', paired: 'southcentralus' },
  southcentralus: { display: 'South Central US', paired: 'northcentralus' },
  westcentralus: { display: 'West Central US', paired: 'westus2' },
  canadacentral: { display: 'Canada Central', paired: 'canadaeast' },
  canadaeast: { display: 'Canada East', paired: 'canadacentral' },
  brazilsouth: { display: 'Brazil South', paired: 'southcentralus' },
  northeurope: { display: 'North Europe', paired: 'westeurope' },
  westeurope: { display: 'West Europe', paired: 'northeurope' },
  uksouth: { display: 'UK South', paired: 'ukwest' },
  ukwest: { display: 'UK West', paired: 'uksouth' },
  francecentral: { display: 'France Central', paired: 'francesouth' },
  germanywestcentral: { display: 'Germany West Central', paired: 'germanynorth' },
  swedencentral: { display: 'Sweden Central', paired: 'swedensouth' },
  switzerlandnorth: { display: 'Switzerland North', paired: 'switzerlandwest' },
  norwayeast: { display: 'Norway East', paired: 'norwaywest' },
  polandcentral: { display: 'Poland Central' },
  italynorth: { display: 'Italy North' },
  southeastasia: { display: 'Southeast Asia', paired: 'eastasia' },
  eastasia: { display: 'East Asia', paired: 'southeastasia' },
  australiaeast: { display: 'Australia East', paired: 'australiasoutheast' },
  australiasoutheast: { display: 'Australia Southeast', paired: 'australiaeast' },
  japaneast: { display: 'Japan East', paired: 'japanwest' },
  japanwest: { display: 'Japan West', paired: 'japaneast' },
  koreacentral: { display: 'Korea Central', paired: 'koreasouth' },
  centralindia: { display: 'Central India', paired: 'southindia' },
  southindia: { display: 'South India', paired: 'centralindia' },
  uaenorth: { display: 'UAE North', paired: 'uaecentral' },
  southafricanorth: { display: 'South Africa North', paired: 'southafricawest' },
};

export function normalizeRegion(name: string): string {
  return name.replace(/\s+/g, '').toLowerCase();
}

export function displayRegion(name: string): string {
  const n = normalizeRegion(name);
  return LOCATIONS[n]?.display ?? name;
}

/** `GET /subscriptions/{s}/locations` as ARM answers it (physical regions, with their pair). */
export function locationsJson(subscriptionId: string): { value: unknown[] } {
  const id = (name: string) => `/subscriptions/${subscriptionId}/locations/${name}`;
  return {
    value: Object.entries(LOCATIONS).map(([name, l]) => ({
      id: id(name),
      name,
      type: 'Region',
      displayName: l.display,
      regionalDisplayName: l.display,
      metadata: { regionType: 'Physical', regionCategory: 'Recommended', ...(l.paired ? { pairedRegion: [{ name: l.paired, id: id(l.paired) }] } : {}) },
    })),
  };
}
