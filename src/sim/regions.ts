// Region names. ARM accepts "eastus" or "East US" and answers with display names in some places
// (gallery targetRegions and replicationStatus.summary), as Azure does; callers must normalise.

const DISPLAY: Record<string, string> = {
  eastus: 'East US',
  eastus2: 'East US 2',
  westus: 'West US',
  westus2: 'West US 2',
  westus3: 'West US 3',
  centralus: 'Central US',
  northcentralus: 'North Central US',
  southcentralus: 'South Central US',
  westcentralus: 'West Central US',
  canadacentral: 'Canada Central',
  canadaeast: 'Canada East',
  brazilsouth: 'Brazil South',
  northeurope: 'North Europe',
  westeurope: 'West Europe',
  uksouth: 'UK South',
  ukwest: 'UK West',
  francecentral: 'France Central',
  germanywestcentral: 'Germany West Central',
  swedencentral: 'Sweden Central',
  switzerlandnorth: 'Switzerland North',
  norwayeast: 'Norway East',
  polandcentral: 'Poland Central',
  italynorth: 'Italy North',
  southeastasia: 'Southeast Asia',
  eastasia: 'East Asia',
  australiaeast: 'Australia East',
  australiasoutheast: 'Australia Southeast',
  japaneast: 'Japan East',
  japanwest: 'Japan West',
  koreacentral: 'Korea Central',
  centralindia: 'Central India',
  southindia: 'South India',
  uaenorth: 'UAE North',
  southafricanorth: 'South Africa North',
};

export function normalizeRegion(name: string): string {
  return name.replace(/\s+/g, '').toLowerCase();
}

export function displayRegion(name: string): string {
  const n = normalizeRegion(name);
  return DISPLAY[n] ?? name;
}
